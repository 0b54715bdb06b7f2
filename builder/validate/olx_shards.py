"""olxcleaner run one chapter at a time, with findings equal to one run over the whole course.

Why: olxcleaner reads every file of the tree it is given and holds its whole object model
(~27 KB per unit). Run over the whole course, an edit of one unit re-checks all of them, and a
20,000-unit course needs ~540 MB. Run per chapter ("shard"), each run reads only the course
context and one chapter, its findings are cached by what it read (``ShardMemo``), and memory is
bounded by the largest chapter.

How a shard runs. olxcleaner is given a virtual course folder (``_Recorder``): every member of the
real tree exists in it, so every existence test (pointer targets, ``PossiblePointer``'s orphan
test, ``/static/`` links, the course image) has the whole-course answer; only
``course/<run>.xml`` is replaced by a copy that keeps the course element and its attributes but
only the shard's ``<chapter>`` children. olxcleaner then follows pointers from those chapters
alone, so it reads the course context and the shard's subtree — and each read and each existence
answer is recorded: the shard's cached findings are reused while they all hold. The four names
olxcleaner touches the file system with (``isfile`` in ``loader.xml``, ``loader.policy`` and
``utils``; ``etree.parse`` and ``open`` in ``loader.xml`` and ``loader.policy``) are swapped for
the recorder's during a run (``_patched``), nothing else.

The audit (olxcleaner 0.3.0, ``AUDITED``; another version runs whole, as before):

* Local to one file or object — identical in the shard that holds the object: everything
  ``loader.xml.read_course`` reports (TagMismatch, SelfPointer, PointerAlreadyPointedAt,
  NonFlatURLName, FileDoesNotExist, InvalidXML, NonFlatFilename, PossibleHTMLPointer, InvalidHTML,
  InvalidPointer, URLNameMismatch, EmptyTag, PossiblePointer, UnexpectedContent, UnexpectedTag —
  the existence tests answered for the whole tree, see above); ``find_url_names``' MissingURLName;
  each object's ``validate`` (settings, dates, attempts, weight, ORA dates, drag-and-drop JSON,
  LTI, discussion's required settings, Obsolete); CheckDisplayNames; CheckLinks' ``/static/``
  links.
* Course context — course.xml, the course element of ``course/<run>.xml`` and
  ``policies/<run>/{policy,grading_policy}.json`` are in every shard, so these come out the same
  in each (and count once): NoRunName, PolicyNotFound, BadPolicy, BadPolicyFormat,
  validate_grading_policy's GradingPolicyIssue, the course's own ``validate`` (dates, course
  image, grace period) and the course dates every object's dates are compared with, the policy
  merged into the course, ``enable_timed_exams``, LTI passports and advanced modules.
* Cross-shard — recomputed over the whole course (``combine``) from facts each shard records
  in traversal order (per chapter: url_names, discussion ids, html files):
  DuplicateURLName (first occurrence in the course's traversal order, as olxcleaner's dict
  does), DuplicateID, DuplicateHTMLName (``read_course``'s ``htmlfiles`` dict spans the course);
  BadJumpToLink and PolicyRefNotFound are reported by a shard for any url_name not in the shard, a
  superset, and kept only when the url_name is nowhere in the course. A policy entry is merged
  into the first object with its url_name: equal per shard as long as that url_name lives in one
  shard only (or is the course's); otherwise the whole course is run.
* Not sharded (the whole tree runs, as before — ``plan`` returns None or a shard says
  ``whole``): fewer than two chapters; a course.xml that is not the exact pointer; a
  ``course/<run>.xml`` that does not parse safely, has a DTD, or holds anything but
  ``<chapter>`` children and comments (a wiki, text, an entity); a policy entry for a url_name in two shards;
  ``/course/courseware/…`` links (they walk the course's chapter list); a path that climbs out of
  the course folder; olxcleaner crashing in a shard (the whole run reports the crash as before).

``tests/validate/test_olx_shards.py`` runs a corpus of mutations both ways and asserts equal
findings.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.metadata
import io
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import olxcleaner
import olxcleaner.loader.policy
import olxcleaner.loader.xml
import olxcleaner.parser.policy
import olxcleaner.parser.slowvalidators
import olxcleaner.utils
from lxml import etree
from olxcleaner.loader.xml_exceptions import DuplicateHTMLName
from olxcleaner.objects import EdxDiscussion
from olxcleaner.parser.parser_exceptions import (
    BadJumpToLink,
    DuplicateID,
    DuplicateURLName,
    PolicyRefNotFound,
)
from olxcleaner.utils import traverse

from builder import xmlsafe
from builder.archive import Member
from builder.spare import Shared, Spare

AUDITED = "0.3.0"
"""The olxcleaner release whose source the audit above was made against."""

ROOT = "/coursepack-olx-virtual/course"
"""Where olxcleaner believes the course folder is; nothing is ever there."""

RECOMPUTED = {"DuplicateURLName", "DuplicateID", "DuplicateHTMLName"}
"""Findings a shard cannot know; ``combine`` computes them over the whole course."""


@dataclass(frozen=True)
class Finding:
    """What the OLX check uses of an olxcleaner error."""

    name: str
    level: str
    filename: str
    description: str


class ShardMemo(Protocol):
    """Where shard results are kept between builds (``builder.pipeline`` gives a ``BuildCache``)."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, body: Any) -> None: ...


def _bytes(member: Member) -> bytes:
    return member if isinstance(member, bytes) else member.read_bytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the plan


@dataclass
class Shard:
    chapters: list[int]
    """Positions, among the course's chapters, of this shard's chapters."""
    course_file: bytes
    """``course/<run>.xml`` with only those chapters."""


@dataclass
class Plan:
    run: str
    shards: list[Shard]
    policy_urls: list[str]


def plan(files: Mapping[str, Member], per_shard: int = 1) -> Plan | None:
    """How to split the course, or None when it must be checked whole (see the module docstring)."""
    if _installed() != AUDITED or os.path.lexists(ROOT.rsplit("/", 1)[0]):
        return None
    try:
        pointer = xmlsafe.parse(_bytes(files["course.xml"]))
    except (KeyError, etree.XMLSyntaxError):
        return None
    run = pointer.get("url_name", "")
    if (
        pointer.tag != "course"
        or set(pointer.attrib) != {"url_name", "org", "course"}
        or len(pointer)
        or (pointer.text or "").strip()
        or not run
        or ":" in run
    ):
        return None
    path = f"course/{run}.xml"
    try:
        course = xmlsafe.parse(_bytes(files[path]))
    except (KeyError, etree.XMLSyntaxError):
        return None
    docinfo = course.getroottree().docinfo
    if course.tag != "course" or (course.text or "").strip() or docinfo.doctype or docinfo.internalDTD:
        return None  # (a DTD could define entities or defaults the copy would lose)
    chapters = []
    for child in course:
        if (child.tail or "").strip():
            return None
        if child.tag is etree.Comment:
            continue
        if child.tag != "chapter":
            return None
        chapters.append(child)
    if len(chapters) < 2:
        return None
    policy_urls: list[str] = []
    try:
        policy = json.loads(_bytes(files[f"policies/{run}/policy.json"]).decode())
    except (KeyError, ValueError):
        policy = None
    if isinstance(policy, dict):
        for entry in policy:
            if "/" not in entry:
                return None  # olxcleaner crashes on it; the whole run says so
            policy_urls.append(entry.split("/", 1)[1])
    shards = []
    for start in range(0, len(chapters), per_shard):
        keep = list(range(start, min(start + per_shard, len(chapters))))
        copy_ = copy.deepcopy(course)
        for child in list(copy_):
            copy_.remove(child)
        for i in keep:
            copy_.append(copy.deepcopy(chapters[i]))
        shards.append(Shard(keep, etree.tostring(copy_, xml_declaration=True, encoding="UTF-8")))
    return Plan(run, shards, policy_urls)


def _installed() -> str:
    try:
        return importlib.metadata.version("olxcleaner")
    except importlib.metadata.PackageNotFoundError:
        return ""


# --------------------------------------------------------------------------- the virtual folder


class Folder:
    """The course folder's member names, with the shas of members asked for (once per check)."""

    def __init__(self, files: Mapping[str, Member], shas: dict[str, str] | None = None):
        self.files = files
        # The members' own set of names when they have one (``olx._Under``): not a copy of 120,000.
        names = getattr(files, "known", None)
        self.names: set[str] = names if isinstance(names, set) else set(files)
        self.dirs = {n.rsplit("/", 1)[0] for n in self.names if "/" in n}
        for d in list(self.dirs):
            while "/" in d:
                d = d.rsplit("/", 1)[0]
                self.dirs.add(d)
        self._shas: dict[str, str] = shas if shas is not None else {}  # shared, not copied

    def resolve(self, rel: str) -> str | None:
        """The member a path below the course folder names (as the OS would resolve it), "" when
        it names nothing, None when it climbs out of the folder (host-dependent: run whole)."""
        if rel in self.names and "//" not in rel and "/." not in f"/{rel}":
            return rel  # the common case: a plain path to a member (its folders exist, then)
        parts = rel.split("/")
        current: list[str] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part in ("", "."):
                if last:
                    return ""  # a folder, not a file
                continue
            if part == "..":
                if not current:
                    return None
                current.pop()
                if last:
                    return ""
                continue
            current.append(part)
            name = "/".join(current)
            if last:
                return name if name in self.names else ""
            if name not in self.dirs:
                return ""
        return ""

    def sha(self, name: str) -> str:
        if name not in self._shas:
            self._shas[name] = _sha(_bytes(self.files[name]))
        return self._shas[name]

    def note_read(self, reads: Mapping[str, str]) -> None:
        """What a shard run in another process read, with the sha256 of each: recorded as read
        here (the pipeline's check entry lists what the check read) and known by sha from now."""
        note = getattr(self.files, "note_read", None)
        if note is not None:
            note(reads)
        for name, sha in reads.items():
            self._shas.setdefault(name, sha)

    def holds(self, body: Mapping[str, Any]) -> bool:
        """Whether a shard's recorded reads and existence answers are still true."""
        return all(n in self.names and self.sha(n) == sha for n, sha in body["reads"].items()) and all(
            bool(self.resolve(rel)) == seen for rel, seen in body["asked"].items()
        )


class _Outside(Exception):
    """olxcleaner asked about a path outside the course folder."""


class _Recorder:
    """The file system olxcleaner sees during one shard's run."""

    def __init__(self, folder: Folder, overrides: dict[str, bytes]):
        self.folder = folder
        self.overrides = overrides
        self.reads: dict[str, str] = {}
        self.asked: dict[str, bool] = {}
        self.outside = False
        self.courseware_links = False

    def _rel(self, path: str) -> str:
        if not isinstance(path, str) or not path.startswith(ROOT + "/"):
            self.outside = True
            raise _Outside(path)
        return path[len(ROOT) + 1 :]

    def isfile(self, path: str) -> bool:
        rel = self._rel(path)
        if rel in self.overrides:
            return True
        name = self.folder.resolve(rel)
        if name is None:
            self.outside = True
            raise _Outside(path)
        self.asked[rel] = bool(name)
        return bool(name)

    def read(self, path: str) -> bytes:
        rel = self._rel(path)
        if rel in self.overrides:
            return self.overrides[rel]
        name = self.folder.resolve(rel)
        if not name:
            raise FileNotFoundError(2, "No such file or directory", path)
        data = _bytes(self.folder.files[name])
        self.reads[name] = _sha(data)
        return data

    def open(self, path: str, mode: str = "r", *args: Any, **kwargs: Any) -> io.TextIOWrapper:
        if mode != "r" or args or kwargs:
            self.outside = True
            raise _Outside(path)
        # As open() in text mode: the locale's encoding, universal newlines.
        return io.TextIOWrapper(io.BytesIO(self.read(path)))

    def parse(self, source: Any, parser: Any = None, base_url: Any = None) -> Any:
        if parser is not None or base_url is not None:
            self.outside = True
            raise _Outside(source)
        return etree.parse(io.BytesIO(self.read(source)), base_url=source)

    def course_link(self, course: Any, link: str, edxobj: Any, errorstore: Any) -> None:
        # A /course/courseware/… link walks the course's chapters, which a shard does not hold.
        if link[len("/course/") :].split("/")[0] == "courseware":
            self.courseware_links = True


class _Etree:
    """lxml.etree for ``loader.xml``, except that ``parse`` reads from the recorder."""

    def __init__(self, recorder: _Recorder):
        self.parse = recorder.parse

    def __getattr__(self, name: str) -> Any:
        return getattr(etree, name)


class _JumpTo(BadJumpToLink):
    """BadJumpToLink that remembers its link (for the whole-course filter)."""

    def __init__(self, filename: str, **kwargs: Any):
        super().__init__(filename, **kwargs)
        self.target = kwargs["link"][len("/jump_to_id/") :]


_JumpTo.__name__ = "BadJumpToLink"


class _PolicyRef(PolicyRefNotFound):
    def __init__(self, filename: str, **kwargs: Any):
        super().__init__(filename, **kwargs)
        self.target = kwargs["url_name"]


_PolicyRef.__name__ = "PolicyRefNotFound"


@contextlib.contextmanager
def _patched(recorder: _Recorder) -> Iterator[None]:
    swaps = [
        (olxcleaner.loader.xml, "isfile", recorder.isfile),
        (olxcleaner.loader.xml, "open", recorder.open),
        (olxcleaner.loader.xml, "etree", _Etree(recorder)),
        (olxcleaner.loader.policy, "isfile", recorder.isfile),
        (olxcleaner.loader.policy, "open", recorder.open),
        (olxcleaner.utils, "isfile", recorder.isfile),
        (olxcleaner.parser.slowvalidators, "follow_course_link", recorder.course_link),
        (olxcleaner.parser.slowvalidators, "BadJumpToLink", _JumpTo),
        (olxcleaner.parser.policy, "PolicyRefNotFound", _PolicyRef),
    ]
    saved = [(module, name, module.__dict__.get(name, _MISSING)) for module, name, _ in swaps]
    try:
        for module, name, value in swaps:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            if value is _MISSING:
                delattr(module, name)
            else:
                setattr(module, name, value)


_MISSING = object()

LOCK = threading.Lock()
"""Held while olxcleaner runs: a shard's run swaps names in olxcleaner's modules, which a run in
another thread (a test, a server running checks beside its main thread) must not see."""


# --------------------------------------------------------------------------- one shard


def run_shard(folder: Folder, the_plan: Plan, shard: Shard, allowed: list[str]) -> dict[str, Any]:
    """olxcleaner over the course context and one shard: its findings and cross-shard facts,
    JSON-able, with what it read. ``{"whole": True, …}`` when the whole course must be run."""
    recorder = _Recorder(folder, {f"course/{the_plan.run}.xml": shard.course_file})
    with LOCK, _patched(recorder):
        try:
            course, errorstore, _urls = olxcleaner.validate(f"{ROOT}/course.xml", 8, allowed_xblocks=allowed)
        except Exception:  # a crash, or a path outside the folder: the whole run tells
            course = None
    # A plain path that was read needs no existence answer of its own: its read covers it.
    asked = {rel: seen for rel, seen in recorder.asked.items() if not (seen and rel in recorder.reads)}
    read = {"reads": dict(sorted(recorder.reads.items())), "asked": dict(sorted(asked.items()))}
    # The verdict follows from what was read and asked, like findings: cached the same way.
    if recorder.outside or recorder.courseware_links or course is None:
        return {"whole": True, **read}
    if len(course.children) != len(shard.chapters):
        return {"whole": True, **read}
    errors = []
    for err in errorstore.errors:
        if err.name in RECOMPUTED:
            continue
        kind = "jump" if err.name == "BadJumpToLink" else "ref" if err.name == "PolicyRefNotFound" else ""
        target = getattr(err, "target", "") if kind else ""
        errors.append([kind, target, err.name, err.level, err.filename, err.description])
    chapters = []
    for chapter in course.children:
        urls, discussions, htmls = [], [], []
        for obj in traverse(chapter):
            url_name = obj.attributes.get("url_name")
            if url_name is not None:
                urls.append([url_name, obj.type, obj.filenames[0]])
            if isinstance(obj, EdxDiscussion) and obj.attributes.get("discussion_id"):
                discussions.append([obj.attributes["discussion_id"], obj.filenames[-1], repr(obj)])
            if getattr(obj, "html_content", False):
                name = obj.attributes["filename"].replace(":", "/")
                htmls.append([name, obj.filenames[-1], f"html/{name}.html"])
        chapters.append({"urls": urls, "discussions": discussions, "htmls": htmls})
    return {
        "whole": False,
        **read,
        "course": [course.attributes.get("url_name"), course.filenames[0]],
        "errors": errors,
        "chapters": chapters,
    }


# --------------------------------------------------------------------------- the whole course


class _Shown:
    """Stands for an olxcleaner object in a message: its repr, as recorded by the shard."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def combine(the_plan: Plan, bodies: Iterable[dict[str, Any]]) -> list[Finding] | None:
    """The whole course's findings from its shards' results, or None when it must run whole.

    The results are taken one at a time, in the course's order, and let go once their facts are
    in: all 200 chapters' facts at once (every url_name, html file and discussion of the course,
    as lists) were ~45 MB at 20,000 units, the OLX check's peak."""
    out: set[Finding] = set()
    # url_names in traversal order: the course, then each chapter's subtree; each with where it
    # first occurs (its tag and file, for a duplicate's message) and the shard that holds it.
    first: dict[str, tuple[str, str, int]] = {}
    spread: set[str] = set()
    discussions: dict[str, str] = {}
    htmls: dict[str, str] = {}
    tags: dict[str, str] = {}  # one string per tag, not one per block
    elsewhere: list[tuple[str, Finding]] = []  # kept only when its url_name is nowhere in the course
    course_url = None
    for shard_no, body in enumerate(bodies):
        if body["whole"]:
            return None
        if shard_no == 0:
            course_url, course_file = body["course"]
            if course_url:
                first[course_url] = ("course", course_file, -1)
        for facts in body["chapters"]:
            for url_name, tag, filename in facts["urls"]:
                seen = first.get(url_name)
                if seen is None:
                    first[url_name] = (tags.setdefault(tag, tag), filename, shard_no)
                    continue
                tag1, file1, home = seen
                if home != shard_no:  # (the course's own url_name always: no policy test needs it)
                    spread.add(url_name)
                err = DuplicateURLName(
                    filename, url_name=url_name, tag1=tag1, file1=file1, tag2=tag, file2=filename
                )
                out.add(_finding(err))
            for disc_id, filename, shown in facts["discussions"]:
                if disc_id in discussions:
                    err = DuplicateID(
                        filename, edxobj1=_Shown(shown), edxobj2=_Shown(discussions[disc_id]), disc_id=disc_id
                    )
                    out.add(_finding(err))
                else:
                    discussions[disc_id] = shown
            for name, filename, html_file in facts["htmls"]:
                if name in htmls:
                    out.add(_finding(DuplicateHTMLName(filename, file2=htmls[name], htmlfilename=html_file)))
                else:
                    htmls[name] = filename
        for kind, target, name, level, filename, description in body["errors"]:
            finding = Finding(name, level, filename, description)
            if kind:
                elsewhere.append((target, finding))  # unless the url_name is in another shard
            else:
                out.add(finding)
    if any(u in spread and u != course_url for u in the_plan.policy_urls):
        return None  # a policy entry whose first object differs per shard
    out.update(finding for target, finding in elsewhere if target not in first)
    return sorted(out, key=lambda f: (f.filename, f.name, f.description))


def _finding(err: Any) -> Finding:
    return Finding(err.name, err.level, err.filename, err.description)


def run(
    files: Mapping[str, Member],
    allowed: list[str],
    memo: ShardMemo | None = None,
    per_shard: int = 1,
    shas: dict[str, str] | None = None,
) -> list[Finding] | None:
    """olxcleaner's findings over the course folder ``files`` (names relative to it), shard by
    shard, reusing each shard's results from ``memo`` while what it read is unchanged; None when
    the course must be checked whole (``run_olxcleaner`` then does, as before). ``shas``: those
    of members already hashed (the OLX rules' scan reads every file once and hashes it)."""
    return Started(files, allowed, memo, per_shard, shas).finish(allowed)


HELD: dict[str, Any] = {"held": True}
"""``Started.bodies``' mark for a shard whose memo result holds (read again when combined)."""

SPARE_MIN_SHARDS = 4
"""Shards to run below which none goes to a spare process: an edit re-runs one or two chapters,
and forking beside them would cost more than it saves."""

SPARE_MIN_FILES = 1000
"""Nor below this many files in the chapters to run (estimated as the tree's share): a shard
costs ~60 µs a file (~0.7 s for 12,000 files at 2,000 units) and forking the spare process
~20 ms of wall time, so a 32-unit course's ~200 files (~15 ms of shards) run here."""


class Started:
    """One check's shards, planned and looked up in ``memo`` before the tags allowed are certain.

    Why: on a single-target build the second core idled while this process did all the OLX check
    (at 2,000 units: the rules' scan ~0.3 s, then ~20 shards ~0.7 s). The allowed XBlock tags are
    ``ALLOWED_XBLOCKS`` plus the inline XBlocks the scan meets, and nearly always just the former;
    so the check starts its shards with that guess, and with a ``spare`` process (and at least
    ``SPARE_MIN_SHARDS`` to run) that process runs them — last first — while this one scans.
    ``finish`` then runs, from the first on, those the spare process has not taken
    (``builder.spare``), and takes the others' results. Shards are independent by construction
    (each reads the course context and its own chapters): which process ran one does not change
    its result, and ``combine`` sees them in shard order as before. Should the scan allow other
    tags, the guesses are dropped and the shards run as before.
    """

    def __init__(
        self,
        files: Mapping[str, Member],
        allowed: list[str],
        memo: ShardMemo | None = None,
        per_shard: int = 1,
        shas: dict[str, str] | None = None,
        spare: Spare | None = None,
    ):
        self.files, self.allowed, self.memo, self.per_shard, self.shas = files, allowed, memo, per_shard, shas
        self.plan = plan(files, per_shard)
        self.ahead: Shared | None = None
        self.keys: list[str] = []
        self.bodies: list[dict[str, Any] | None] = []
        if self.plan is None:
            return
        self.folder = Folder(files, shas)
        for shard in self.plan.shards:
            key = _shard_key(allowed, shard) if memo is not None else ""
            body = memo.get(key) if memo is not None else None
            self.keys.append(key)
            # What it read only decides reuse: 20,000 units' worth of shas are not kept.
            # Kept as a mark only: all chapters' results at once (every url_name, html file and
            # discussion of the course) were ~60 MB at 20,000 units; ``finish`` reads each again.
            self.bodies.append(HELD if body is not None and self.folder.holds(body) else None)
            body = None
        todo = [i for i, body in enumerate(self.bodies) if body is None]
        share = len(files) * len(todo) // len(self.bodies)
        if spare is None or len(todo) < SPARE_MIN_SHARDS or share < SPARE_MIN_FILES:
            return
        folder, the_plan = self.folder, self.plan
        self.ahead = spare.share(
            lambda i: run_shard(folder, the_plan, the_plan.shards[i], allowed), todo, len(self.bodies)
        )

    def finish(self, allowed: list[str]) -> list[Finding] | None:
        """The findings (as ``run``'s), now that the tags allowed are known."""
        if self.plan is None:
            return None
        if allowed != self.allowed:
            self.close()
            return Started(self.files, allowed, self.memo, self.per_shard, self.shas).finish(allowed)
        the_plan = self.plan

        def bodies() -> Iterator[dict[str, Any]]:
            """Each shard's result as ``combine`` takes it, let go here once given (a shard that
            says ``whole`` ends the run)."""
            for i, shard in enumerate(the_plan.shards):
                body = self.bodies[i]
                self.bodies[i] = None
                if body is HELD and self.memo is not None:
                    body = self.memo.get(self.keys[i])  # as looked up and tested in ``__init__``
                    if body is None or not self.folder.holds(body):
                        body = None  # (gone or changed meanwhile: run it again)
                if body is None:
                    if self.ahead is not None and not self.ahead.here(i):
                        body = self.ahead.result(i)  # the spare process has taken it
                        self.folder.note_read(body["reads"])
                    else:
                        body = run_shard(self.folder, the_plan, shard, allowed)
                    if self.memo is not None:
                        self.memo.put(self.keys[i], body)
                yield body

        try:
            return combine(the_plan, bodies())
        finally:
            self.close()

    def close(self) -> None:
        """Stop the spare process after its current shard (a check that ends early, or fails)."""
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None


def _shard_key(allowed: list[str], shard: Shard) -> str:
    from builder import cache

    return cache.digest("olx-shard", cache.code_fingerprint(), AUDITED, allowed, _sha(shard.course_file))
