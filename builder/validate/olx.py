"""Check an OLX tarball's members the way Studio will meet them, before anyone uploads it.

Two layers. First olxcleaner, the validator Studio itself can run before an import (waffle flag
``contentstore.course_import_olx_validation``), used as a library with every step (1–8): chapter
by chapter where the course allows, with findings equal to one run over the whole tree
(``builder.validate.olx_shards``, which says why and how, and when the whole tree is run
instead). Its findings become Diagnostics; only its known false positives are dropped, each filter
saying why (``../shared/reference/olx.md`` §3). Second, checks olxcleaner lacks but a silent
Studio import depends on: one ``course.xml``, pointers that are exactly ``<tag url_name="…"/>`` and
resolve, ``/static/`` links that resolve, ``learning_outcomes`` on every vertical, and a
``tags.csv`` whose values belong to the taxonomy and whose IDs are url_names in the tree (Studio
stops reading ``tags.csv`` at the first bad row and still reports success). These run in one pass
(``Tree.scan``) that reads and parses each file once and keeps none of them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import olxcleaner
from lxml import etree

from builder import taxonomy, xmlsafe
from builder.archive import Member, extracted
from builder.diagnostics import Diagnostic
from builder.model import CompetenceMap
from builder.spare import Spare
from builder.targets.olx import POINTER_TAGS
from builder.validate import olx_shards

ALLOWED_XBLOCKS: list[str] = [
    "library_content", "word_cloud", "poll", "survey", "annotatable", "done", "pdf",
    "google-document", "google-calendar", "freetextresponse", "edx_sga", "conditional", "split_test",
    "itembank", "lti_advantage", "h5pxblock", "scorm",
]  # fmt: skip
"""Block types beyond olxcleaner's built-ins (html, problem, video, discussion, lti,
drag-and-drop-v2, openassessment, …) that may appear: only ```olx pass-through blocks kept from an
imported Open edX course carry them (``builder.importer.olx``). Any other tag is a bug and stays
olxcleaner's UnexpectedTag error."""

NEWER_SHOWANSWER = {"after_all_attempts", "after_all_attempts_or_correct", "attempted_no_past_due"}
"""showanswer values Studio accepts but olxcleaner 0.3.0 (frozen before them) calls invalid."""

CONTAINERS = {"course", "chapter", "sequential", "vertical"}
STATIC_LINK = re.compile(r"""(?:src|href)\s*=\s*["']/static/([^"'?#]+)""", re.IGNORECASE)
STATIC_LINK_SCAN = re.compile(
    r"""[SsſHh](?:(?<=[Ssſ])[Rr][Cc]|(?<=[Hh])[Rr][Ee][Ff])\s*=\s*["']/[Ssſ][Tt][Aa][Tt][Iiİı][Cc]/([^"'?#]+)"""
)
"""``STATIC_LINK`` without IGNORECASE: each letter spelled as the characters IGNORECASE lets match
it (``ſ`` is an ``s``, ``ı`` and ``İ`` are ``i``), so it finds the same links; starting with one
character class lets the regex engine skip ahead to candidates instead of trying two case-folded
words at every position (3× faster on 2,000 unit pages)."""
_FOLDS_TO_STATIC = (b"\xc5\xbf", b"\xc4\xb0", b"\xc4\xb1")
"""UTF-8 of the characters besides ASCII letters that ``STATIC_LINK`` (IGNORECASE) matches to a
letter of "static": ſ (U+017F) for s, İ and ı (U+0130, U+0131) for i."""


def _may_link_static(data: bytes) -> bool:
    """False only when ``STATIC_LINK`` cannot match the decoded text: a byte search is ~30× faster
    than even ``STATIC_LINK_SCAN``, and most files hold no /static/ link."""
    return b"/static/" in data.lower() or any(c in data for c in _FOLDS_TO_STATIC)


_SETTING_OVERRIDE = re.compile(
    r"The policy file entry for <(?P<tag>[\w-]+) url_name='(?P<url>[^']*)'> "
    r"is overriding the setting for '(?P<setting>[^']+)'"
)
_LEVELS = {"ERROR": "error", "WARNING": "warning", "INFO": "warning"}


def _bytes(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


def _parse(data: bytes) -> etree._Element | None:
    try:
        return xmlsafe.parse(data)
    except etree.XMLSyntaxError:
        return None


def _diag(file: str, message: str, code: str, hint: str = "", severity: str = "error") -> Diagnostic:
    return Diagnostic(
        file=file, line=None, column=None, message=message, hint=hint, severity=severity, code=code
    )


def check_olx(
    members: Mapping[str, Member],
    competences: CompetenceMap | None = None,
    memo: olx_shards.ShardMemo | None = None,
    sharded: bool = True,
    spare: Spare | None = None,
) -> list[Diagnostic]:
    """All findings about an OLX tree given as archive members (name → bytes or source Path).

    ``competences``, when given, lets the ``tags.csv`` check require that every value is a value of
    the course's taxonomy and that the column is its export_id; without it only the shape is checked.
    ``memo`` keeps olxcleaner's per-chapter results between builds; ``sharded=False`` runs it over
    the whole tree (the reference the chapter runs are tested against). ``spare``: a process
    beside this one that may run olxcleaner's chapters (``builder.spare``).
    """
    # The substring test first: pathlib over every name costs ~0.3 s per 16,000 names.
    roots = sorted(
        str(PurePosixPath(n).parent)
        for n in members
        if "course.xml" in n and PurePosixPath(n).name == "course.xml"
    )
    if len(roots) != 1:
        where = ", ".join(f"{r}/course.xml" for r in roots) or "nowhere"
        return [
            _diag(
                "course.xml",
                f"the tree must hold exactly one course.xml, found {len(roots)} ({where})",
                "olx.course-xml-count",
                "Studio imports the first course.xml os.walk meets; ship exactly one",
            )
        ]
    root = roots[0]
    prefix = "" if root == "." else f"{root}/"
    tree = Tree(_Under(members, prefix), prefix, memo, competences)
    found = run_olxcleaner(members, root, tree, memo, sharded, spare)
    hashed = getattr(memo, "hashed", None)
    if hashed is not None:  # the pipeline's CheckMemo: it records the check's reads by these hashes
        hashed.append((prefix, tree.shas))
    found += tree.check_course_pointer()
    found += tree.check_pointers()
    found += tree.check_static_links()
    found += tree.check_verticals()
    found += tree.check_videos()
    found += tree.check_tags()
    return sorted(set(found))


# --------------------------------------------------------------------------- olxcleaner


def run_olxcleaner(
    members: Mapping[str, Member],
    root: str,
    tree: Tree,
    memo: olx_shards.ShardMemo | None = None,
    sharded: bool = True,
    spare: Spare | None = None,
) -> list[Diagnostic]:
    """olxcleaner's findings, chapter by chapter when the course allows (``olx_shards``: equal
    findings, each chapter's reused from ``memo`` while unchanged), else over the whole tree.

    The chapters start before the scan that tells which XBlock tags are allowed, with the usual
    answer (``olx_shards.Started``): with a ``spare`` process, they run there while this one scans.
    """
    started = None
    if sharded:
        started = olx_shards.Started(
            tree.files, sorted(set(ALLOWED_XBLOCKS)), memo, shas=tree.shas, spare=spare
        )
    try:
        allowed = sorted(set(ALLOWED_XBLOCKS) | tree.pass_through_tags())
        found = started.finish(allowed) if started is not None else None
    finally:
        if started is not None:
            started.close()
    if found is None:
        whole = whole_olxcleaner(members, root, tree, allowed)
        if isinstance(whole, Diagnostic):
            return [whole]
        found = whole
    out: list[Diagnostic] = []
    for err in found:
        if err.level not in _LEVELS or tree.is_false_positive(err):
            continue
        # olxcleaner names files relative to the course folder (or just "policy.json").
        file = f"{tree.prefix}{err.filename or 'course.xml'}"
        out.append(_diag(file, err.description, f"olxcleaner.{err.name}", severity=_LEVELS[err.level]))
    return out


def whole_olxcleaner(
    members: Mapping[str, Member], root: str, tree: Tree, allowed: list[str]
) -> list[olx_shards.Finding] | Diagnostic:
    """olxcleaner over the whole tree laid out in a temporary folder: the reference the shards
    must equal, and the fallback. A crash becomes one Diagnostic."""
    # olxcleaner only checks that static files exist: they are laid out empty.
    with extracted(members, "coursepack-olx-", empty_under=(f"{tree.prefix}static/",)) as tmp:
        course_dir = tmp / root
        try:
            with olx_shards.LOCK:
                _course, errorstore, _urls = olxcleaner.validate(str(course_dir), 8, allowed_xblocks=allowed)
        except Exception as exc:  # olxcleaner crashes on some inputs (e.g. a policy key without "/")
            return _diag(
                f"{tree.prefix}policies",
                f"olxcleaner crashed: {type(exc).__name__}: {exc}",
                "olxcleaner.crash",
                "Studio skips its validation when it crashes; fix the input it chokes on",
            )
    return [olx_shards.Finding(e.name, e.level, e.filename, e.description) for e in errorstore.errors]


# --------------------------------------------------------------------------- the tree


def _is_normal_speed(speed: str) -> bool:
    try:
        return float(speed) == 1.0
    except ValueError:
        return False


class _Under(Mapping[str, Member]):
    """The members under ``prefix``, named without it; read only when asked for (a build's members
    are spilled to disk, and copying them all into a dict would bring the package back into memory).

    Each name is one string, shared by the names and the shas the members know (``known_shas``):
    at 20,000 units a package has 120,000 members, and a second copy of each name (as a list
    beside the set, and again as the keys of the shas) held ~20 MB through the OLX check."""

    def __init__(self, members: Mapping[str, Member], prefix: str):
        self.members, self.prefix = members, prefix
        known = getattr(members, "known_shas", None)
        self.shas: dict[str, str] = known(prefix) if known is not None else {}
        """The sha256 of every member the members know without reading it, by name."""
        cut = len(prefix)
        self.known = set(self.shas)
        self.known.update(n[cut:] for n in members if n.startswith(prefix))  # an equal name stays as it was

    def __getitem__(self, name: str) -> Member:
        if name not in self.known:
            raise KeyError(name)
        return self.members[self.prefix + name]

    def __contains__(self, name: object) -> bool:
        return name in self.known

    def note_read(self, shas: Mapping[str, str]) -> None:
        """Members another process read for the check, with their sha256: the members that record
        reads (``cache.RecordingMembers``) count them as read, as if read here."""
        note = getattr(self.members, "note_read", None)
        if note is not None:
            note(self.prefix + name for name in shas)

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


class Tree:
    """The members under the course folder, with parsed XML on demand (only the few files asked
    for more than once are kept parsed: course.xml, blocks named by a SettingOverride)."""

    def __init__(
        self,
        files: Mapping[str, Member],
        prefix: str,
        memo: olx_shards.ShardMemo | None = None,
        competences: CompetenceMap | None = None,
    ):
        self.files = files
        self.prefix = prefix
        self.memo = memo
        """Where the scan keeps each file's facts by its sha between builds (``_make_scan``)."""
        self.competences = competences
        """The taxonomy ``check_tags`` holds tags.csv's values to (only its shape without it)."""
        self._tags: _TagFindings | None = None
        self._xml: dict[str, etree._Element | None] = {}
        self._scan: Scan | None = None
        self.shas: dict[str, str] = files.shas if isinstance(files, _Under) else {}
        """sha256 of the files: those the members know, and those the scan read (``olx_shards``
        tests its records against them; the pipeline's record of the check's reads takes them)."""

    def xml(self, path: str, keep: bool = True) -> etree._Element | None:
        """Parsed root of ``path``, or None when missing or malformed (olxcleaner reports that);
        kept for the next call unless ``keep`` is False (the scan's one read of each file)."""
        if path in self._xml:
            return self._xml[path]
        element = _parse(_bytes(self.files[path])) if path in self.files else None
        if keep:
            self._xml[path] = element
        return element

    def text(self, path: str) -> str:
        return _bytes(self.files[path]).decode("utf-8", errors="replace")

    def run(self) -> str:
        pointer = self.xml("course.xml")
        return pointer.get("url_name", "") if pointer is not None else ""

    # ---- false positives of olxcleaner 0.3.0 (olx.md §3)

    def is_false_positive(self, err: object) -> bool:
        name, text = err.name, err.description  # type: ignore[attr-defined]
        if (
            name == "InvalidSetting"
            and text.startswith("The tag <course")
            and "required setting 'end'" in text
        ):
            # olxcleaner requires a course end date; Studio does not, and the model allows none.
            return True
        if name == "InvalidSetting" and "invalid setting 'showanswer=" in text:
            # Values added to Studio after olxcleaner's list was frozen (2019) are valid in Studio.
            value = text.split("invalid setting 'showanswer=", 1)[1].rstrip("'.")
            return value in NEWER_SHOWANSWER
        if name == "SettingOverride":
            # Studio's own exports repeat course settings in course/<run>.xml and policy.json, and
            # olxcleaner warns on every repeat. Only an override that changes the value is real.
            return self._same_value_override(text)
        return False

    def _same_value_override(self, text: str) -> bool:
        m = _SETTING_OVERRIDE.search(text)
        if not m:
            return False
        tag, url, setting = m["tag"], m["url"], m["setting"]
        run = self.run()
        try:
            policy = json.loads(self.text(f"policies/{run}/policy.json"))
        except (KeyError, ValueError):
            return False
        entry = policy.get(f"{tag}/{url}", {})
        if setting not in entry:
            return False
        value = entry[setting]
        as_text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        element = self.xml(f"{tag}/{url}.xml")
        return element is not None and element.get(setting) == as_text

    # ---- structure: one pass over the files (``scan``), each parsed once and then dropped

    def scan(self) -> Scan:
        """Every per-file finding of the rules below, from one pass over the tree.

        Each XML file is parsed once and let go: holding every parsed file (as the rules did, one
        after another) made the check's memory grow with the course (~20 KB a unit).
        """
        if self._scan is None:
            self._scan = self._make_scan()
        return self._scan

    def _make_scan(self) -> Scan:
        found = Scan()
        run = self.run()
        course_file = f"course/{run}.xml"
        if run and course_file not in self.files:
            found.pointers.append(
                _diag(f"{self.prefix}course.xml", f"course/{run}.xml is missing", "olx.pointer-unresolved")
            )
        files = self.files
        names = files.known if isinstance(files, _Under) else set(files)
        # The shas the members know (``_Under.shas``), and those of the others the scan reads:
        # olx_shards' reuse test and the pipeline's record of the check's reads take them from here.
        known = self.shas

        def sha_of(path: str) -> str:
            sha = known.get(path)
            if sha is None:
                sha = known[path] = hashlib.sha256(_bytes(files[path])).hexdigest()
            return sha

        # What every bucket's findings depend on besides its own files: tags.csv (its rows are
        # compared with the blocks' tags-v1, and name the files parsed for that) and the run.
        context = [sha_of("tags.csv") if "tags.csv" in files else "", run]
        # Files that tags.csv alone makes the scan parse (a block in a folder no rule reads).
        extra_key = _summary_key("extra", context)
        kept = self.memo.get(extra_key) if self.memo is not None else None
        tagged: dict[str, list[TagRow]] | None = None
        if isinstance(kept, list):
            extra = set(kept)
        else:
            tagged = self._tag_pass()
            extra = {p for p in tagged if not _rules(p.split("/", 1)[0], p, p == course_file)}
            if self.memo is not None:
                self.memo.put(extra_key, sorted(extra))
        # One light pass: each file's rules (by folder and extension) and sha, by bucket.
        kinds: dict[tuple[str, str], str] = {}
        buckets: dict[int, list[tuple[str, str, str]]] = {}
        for path in sorted(files):
            top = path.split("/", 1)[0]
            if path == course_file:
                rules = _rules(top, path, True)
            else:
                rules = kinds.get((top, path[-5:]))
                if rules is None:
                    rules = kinds[(top, path[-5:])] = _rules(top, path, False)
            if not rules and path not in extra:
                continue
            sha = known.get(path) or sha_of(path)
            bucket = zlib.crc32(path.encode()) % SCAN_BUCKETS
            if bucket in buckets:
                buckets[bucket].append((path, rules, sha))
            else:
                buckets[bucket] = [(path, rules, sha)]
        results: dict[int, dict[str, Any]] = {}
        stale: list[tuple[int, list[tuple[str, str, str]], str]] = []
        for bucket, entries in sorted(buckets.items()):
            # A bucket's findings are kept by what they follow from: its files' names, rules and
            # shas, and the context; they hold while the names they needed are present or absent
            # as they were.
            sig = hashlib.sha256("".join(f"{p}\0{r}\0{s}\n" for p, r, s in entries).encode()).hexdigest()
            result_key = _summary_key(bucket, context, sig)
            result = self.memo.get(result_key) if self.memo is not None else None
            holds = isinstance(result, dict) and result["missing"] == [
                t for t in result["targets"] if t not in names
            ]
            if holds:
                results[bucket] = result  # type: ignore[assignment]
            else:
                stale.append((bucket, entries, result_key))
        if stale and tagged is None:
            # An edit rescans a bucket or two: only their files' tags.csv cells are gathered (all
            # of them: 0.02 s at 2,000 units, half of it the cells); more take the whole table once.
            wanted = {p for _b, entries, _k in stale for p, _r, _s in entries}
            tagged = self._tag_pass(wanted if len(stale) <= 2 else None)
        for bucket, entries, result_key in stale:
            results[bucket] = self._scan_bucket(bucket, entries, tagged or {})
            if self.memo is not None:
                self.memo.put(result_key, results[bucket])
        for _bucket, result in sorted(results.items()):
            for rule, diags in result["found"].items():
                getattr(found, rule).extend(Diagnostic.from_json(d) for d in diags)
            found.inline.update((tag, url_name) for tag, url_name in result["inline"])
        return found

    def _scan_bucket(
        self, bucket: int, entries: list[tuple[str, str, str]], tagged: Mapping[str, list[TagRow]]
    ) -> dict[str, Any]:
        """One bucket's findings, from each file's facts (kept by rules and sha: an edit reads and
        parses only the files it changed), with the names they needed and those found missing."""
        old = self._memo_get(bucket)
        new: dict[str, Facts] = {}
        found = Scan()
        targets: list[str] = []
        for path, base, sha in entries:
            rules = base + "t" if "t" not in base and path in tagged else base
            key = f"{rules}:{sha}"
            facts = old.get(key)
            if facts is None:
                facts = self._facts(path, _bytes(self.files[path]), rules)
            new[key] = facts
            if facts:  # most files: nothing found, nothing to compare
                self._apply(path, facts, tagged.get(path, ()), found, targets)
        if self.memo is not None and new.keys() != old.keys():
            self.memo.put(_scan_key(bucket), new)
        needed = sorted(set(targets))
        rules = ("pointers", "html_files", "static", "transcripts", "verticals", "videos", "tags_v1")
        return {
            "targets": needed,
            "missing": [t for t in needed if t not in self.files],
            "found": {r: [d.to_json() for d in getattr(found, r)] for r in rules if getattr(found, r)},
            "inline": sorted(found.inline),
        }

    def _memo_get(self, bucket: int) -> dict[str, Facts]:
        got = self.memo.get(_scan_key(bucket)) if self.memo is not None else None
        return got if isinstance(got, dict) else {}

    @staticmethod
    def _facts(path: str, data: bytes, rules: str) -> Facts:
        """What the per-file rules see in one file, from its bytes alone (``rules`` says which apply;
        see ``Facts``). 0 when there is nothing to report or compare, the common case."""
        needs: list[list[str]] = []
        facts: dict[str, Any] = {}
        if "l" in rules and _may_link_static(data):
            text = data.decode("utf-8", errors="replace")
            needs += [["s", name] for name in STATIC_LINK_SCAN.findall(text)]
        element = _parse(data) if "t" in rules else None
        if element is not None:
            if "p" in rules:
                needs += Tree._pointers(element)
            if "h" in rules and element.get("filename"):
                needs.append(["h", element.get("filename", "")])
            if "v" in rules:
                inline = [
                    [child.tag, child.get("url_name", "")]
                    for child in element
                    if isinstance(child.tag, str) and Tree.is_inline_xblock(element, child)
                ]
                if inline:
                    facts["i"] = inline
                if not (element.get("learning_outcomes") or "").split():
                    needs.append(["L"])
            if "V" in rules:
                needs += Tree._transcripts(element)
                if "x" in rules and Tree._video_says_no_youtube_id(element):
                    needs.append(["Y"])
            if "tags-v1" in element.attrib:
                parsed: dict[str, list[str]] = {}
                for part in element.get("tags-v1", "").split(";"):
                    if ":" in part:
                        export, tags = part.split(":", 1)
                        parsed[export] = [unquote(t) for t in tags.split(",")]
                facts["t"] = parsed
        if needs:
            facts["n"] = needs
        return facts or 0

    def _apply(
        self, path: str, facts: dict[str, Any], rows: Iterable[TagRow], found: Scan, targets: list[str]
    ) -> None:
        """One file's findings from its facts, the tree's names and its tags.csv ``rows``; each
        name whose presence decided a finding is added to ``targets``."""
        where = f"{self.prefix}{path}"
        files = self.files

        def missing(target: str) -> bool:
            """Whether ``target`` is absent from the tree; either way the finding depends on it."""
            targets.append(target)
            return target not in files

        for kind, *args in facts.get("n", ()):
            if kind == "s":
                (name,) = args
                if missing(target := f"static/{unquote(name)}"):
                    message = f"/static/{name} is linked but {target} is not in the tree"
                    found.static.append(_diag(where, message, "olx.static-missing"))
            elif kind == "P":
                tag, url_name = args
                if missing(target := f"{tag}/{url_name}.xml"):
                    message = f"pointer <{tag} url_name=…> resolves to missing {target}"
                    found.pointers.append(_diag(where, message, "olx.pointer-unresolved"))
            elif kind == "A":
                tag, attrs = args
                found.pointers.append(
                    _diag(
                        where,
                        f"<{tag}> in {path} is not a pure pointer (attributes: {attrs})",
                        "olx.pointer-attributes",
                        "Studio treats it as an inline block and never reads the file; "
                        'write exactly <tag url_name="…"/>',
                    )
                )
            elif kind == "h":
                if missing(target := f"html/{args[0]}.html"):
                    found.html_files.append(_diag(where, f"{target} is missing", "olx.html-file-missing"))
            elif kind == "T":
                if missing(target := f"static/{args[0]}"):
                    message = f"transcript {target} is missing"
                    found.transcripts.append(_diag(where, message, "olx.static-missing"))
            elif kind == "J":
                found.transcripts.append(_diag(where, "transcripts is not JSON", "olx.video-transcripts"))
            elif kind == "Y":
                found.videos.append(
                    _diag(
                        where,
                        "video has HTML5 sources but no youtube_id_1_0: Open edX fills in its "
                        "default YouTube clip (3_yD_cEKoCk) and plays that instead",
                        "olx.video-default-youtube",
                        'write youtube_id_1_0="" when the video has no YouTube id',
                    )
                )
            elif kind == "L":
                found.verticals.append(
                    _diag(
                        where,
                        "vertical carries no learning_outcomes",
                        "olx.learning-outcomes-missing",
                        "every unit declares the outcomes it teaches or assesses",
                        # A warning, as the source check says for a unit without outcomes (an error
                        # with --strict): Studio imports such a unit fine, e.g. one from an untagged
                        # course brought in with `coursepack import olx`.
                        severity="warning",
                    )
                )
        for tag, url_name in facts.get("i", ()):
            found.inline.add((tag, url_name))
        parsed = facts.get("t")
        if parsed is not None:
            # The block's tags-v1 attribute, when present, must say what its tags.csv row says.
            for number, kind, block_id, column, values in rows:
                if parsed.get(column, []) != values:
                    said = parsed.get(column, [])
                    message = f"tags-v1 of {kind}/{block_id}.xml {said} != tags.csv {values}"
                    loc = f"{self.prefix}tags.csv:{number}"
                    found.tags_v1.append(_diag(loc, message, "olx.tags-mismatch"))

    @staticmethod
    def _pointers(element: etree._Element) -> list[list[Any]]:
        """Children of containers are pure pointers (``A`` when not), each resolving to
        ``<tag>/<url_name>.xml`` (``P``: the scan tests that the file is there)."""
        out: list[list[Any]] = []
        for child in element:
            if not isinstance(child.tag, str) or child.tag == "wiki":
                continue
            attrs = set(child.attrib)
            if Tree.is_inline_xblock(element, child):
                continue
            if attrs != {"url_name"} or len(child) or (child.text or "").strip():
                out.append(["A", child.tag, str(sorted(attrs))])
                continue
            out.append(["P", child.tag, child.get("url_name", "")])
        return out

    def check_course_pointer(self) -> list[Diagnostic]:
        pointer = self.xml("course.xml")
        if pointer is None:
            return []  # olxcleaner reports unreadable XML
        if pointer.tag != "course" or set(pointer.attrib) != {"url_name", "org", "course"} or len(pointer):
            return [
                _diag(
                    f"{self.prefix}course.xml",
                    "course.xml must be exactly <course url_name=… org=… course=…/>",
                    "olx.course-pointer",
                    "any other attribute or child makes Studio read the course inline",
                )
            ]
        return []

    def check_pointers(self) -> list[Diagnostic]:
        return self.scan().pointers + self.scan().html_files

    @staticmethod
    def is_inline_xblock(parent: etree._Element, child: etree._Element) -> bool:
        """A pure XBlock written whole in its vertical (how Studio exports drag-and-drop-v2, ORA…)."""
        return (
            parent.tag == "vertical"
            and child.tag not in POINTER_TAGS
            and child.tag not in CONTAINERS
            and bool(child.get("url_name"))
            and set(child.attrib) != {"url_name"}
        )

    def pass_through_tags(self) -> set[str]:
        """Tags of inline XBlocks in verticals: only ```olx blocks kept from an import make these, so
        whatever XBlock the imported course used is allowed (Studio needs it installed, as before)."""
        return {tag for tag, _ in self.inline_blocks()}

    def inline_blocks(self) -> set[tuple[str, str]]:
        return self.scan().inline

    @staticmethod
    def _transcripts(element: etree._Element) -> list[list[str]]:
        """A video's transcripts: ``J`` when the attribute is not JSON, ``T`` per named file (the scan
        tests that it is there)."""
        out: list[list[str]] = []
        names = [t.get("src", "") for t in element.iter("transcript")]
        try:
            names += list(json.loads(element.get("transcripts", "{}")).values())
        except ValueError:
            out.append(["J"])
        out += [["T", name] for name in names]
        return out

    def check_static_links(self) -> list[Diagnostic]:
        return self.scan().static + self.scan().transcripts

    @staticmethod
    def _video_says_no_youtube_id(element: etree._Element) -> bool:
        """A video with HTML5 sources must say which YouTube id it has, even when it has none.

        ``youtube_id_1_0`` defaults to Open edX's demo clip (``3_yD_cEKoCk``), and the player
        prefers a YouTube stream to the MP4, so an MP4-only video without ``youtube_id_1_0=""``
        (or ``youtube="1.00:…"``) plays the wrong clip. olxcleaner does not know this.
        """
        has_sources = element.find("source") is not None or bool(element.get("html5_sources"))
        speeds = [piece.split(":", 1)[0] for piece in element.get("youtube", "").split(",") if ":" in piece]
        says_1_0 = "youtube_id_1_0" in element.attrib or any(_is_normal_speed(s) for s in speeds)
        return has_sources and not says_1_0

    def check_videos(self) -> list[Diagnostic]:
        return self.scan().videos

    def check_verticals(self) -> list[Diagnostic]:
        return self.scan().verticals

    # ---- tags

    def _tag_pass(self, only: set[str] | None = None) -> dict[str, list[TagRow]]:
        """Per block file, the tags.csv cells its ``tags-v1`` must match (checked during the scan);
        with ``only``, for those files alone.

        The same pass over tags.csv finds what ``check_tags`` reports of each row, so the file is
        parsed once, row by row, and never held: its rows as lists were 30 MB at 20,000 units
        (56 MB while parsed, the text's copy in a ``StringIO`` besides), the OLX check's largest
        object. The one finding that needs the scan (an ID that names no file may name an inline
        block) is kept as the row's place, for ``check_tags`` to decide."""
        where = f"{self.prefix}tags.csv"
        tags = self._tags = _TagFindings()
        out: dict[str, list[TagRow]] = {}
        if "tags.csv" not in self.files:
            missing = _diag(where, "tags.csv is missing", "olx.tags-missing", severity="warning")
            tags.header_found.append(missing)
            return out
        rows = self._tag_lines()
        header = next(rows, None)
        if header is None or header[:3] != ["Name", "Type", "ID"]:
            tags.header_found.append(
                _diag(where, "tags.csv must start with the columns Name,Type,ID", "olx.tags-header")
            )
            return out
        columns = header[3:]
        width = len(header)
        competences = self.competences
        allowed: set[str] | None = None
        if competences is not None:
            allowed = {value for _id, value, _parent in taxonomy.taxonomy_rows(competences)}
            if columns != [taxonomy.export_id(competences)]:
                tags.header_found.append(
                    _diag(
                        where,
                        f"taxonomy columns {columns} != [{taxonomy.export_id(competences)!r}]",
                        "olx.tags-export-id",
                    )
                )
        for column in columns:
            if not taxonomy.EXPORT_ID_PATTERN.match(column):
                tags.header_found.append(
                    _diag(where, f"{column!r} is not a valid taxonomy export_id", "olx.tags-export-id")
                )
        pointer = self.xml("course.xml")
        course_key = (
            f"course-v1:{pointer.get('org')}+{pointer.get('course')}+{pointer.get('url_name')}"
            if pointer is not None
            else None
        )
        found = tags.found

        def row_diag(number: int, message: str, code: str) -> None:
            found.append(_diag(f"{where}:{number}", message, code))

        for number, row in enumerate(rows, start=2):
            if len(row) != width:
                row_diag(number, f"row has {len(row)} cells, header has {width}", "olx.tags-row")
                continue
            kind, block_id = row[1], row[2]
            path = f"{kind}/{block_id}.xml"
            if kind == "course":
                if block_id != course_key:
                    row_diag(number, f"course row ID {block_id!r} != {course_key!r}", "olx.tags-id")
            elif path not in self.files:
                tags.unresolved.append((number, kind, block_id))
            cells = out.setdefault(path, []) if kind != "course" and (only is None or path in only) else None
            for column, cell in zip(columns, row[3:], strict=True):
                values = [v.strip() for v in cell.split(";") if v.strip()] if cell else []
                if cells is not None:
                    cells.append((number, kind, block_id, column, values))
                if len(values) > taxonomy.MAX_TAGS_PER_OBJECT:
                    many = f"{len(values)} tags on one block (Studio's limit is 100)"
                    row_diag(number, many, "olx.tags-count")
                for value in values:
                    if allowed is not None and value not in allowed:
                        row_diag(number, f"{value!r} is not a value of taxonomy {column}", "olx.tags-value")
                    elif len(value) > taxonomy.MAX_VALUE_CHARS or "\t" in value or " > " in value:
                        row_diag(number, f"{value!r} is not a valid tag value", "olx.tags-value")
        return out

    def _tag_pass_findings(self) -> _TagFindings:
        """``_tag_pass`` for its findings alone (no block's cells kept)."""
        self._tag_pass(set())
        assert self._tags is not None
        return self._tags

    def _tag_lines(self) -> Iterator[list[str]]:
        """tags.csv's rows one at a time: as ``csv.reader`` over the file decoded whole (UTF-8,
        undecodable bytes replaced; lines end at ``\n`` only, as a ``StringIO``'s do), decoded as
        the rows are read."""
        data = io.BytesIO(_bytes(self.files["tags.csv"]))
        return csv.reader(io.TextIOWrapper(data, encoding="utf-8", errors="replace", newline="\n"))

    def check_tags(self) -> list[Diagnostic]:
        """tags.csv's findings: its header's and each row's (from ``_tag_pass``, the scan's pass
        over it when the scan needed its cells) and an ID that names no block of the tree."""
        inline = self.inline_blocks()  # the scan first: it may need tags.csv's cells, and reads it then
        tags = self._tags if self._tags is not None else self._tag_pass_findings()
        if any(d.code in ("olx.tags-missing", "olx.tags-header") for d in tags.header_found):
            return list(tags.header_found)  # nothing more to say of a file that is not there or not a table
        where = f"{self.prefix}tags.csv"
        out = tags.header_found + tags.found
        for number, kind, block_id in tags.unresolved:
            if (kind, block_id) not in inline:
                out.append(
                    _diag(
                        f"{where}:{number}",
                        f"ID {block_id!r} is not the url_name of a {kind} in the tree",
                        "olx.tags-id",
                    )
                )
        # Each block's tags-v1 was compared with its cells while the scan had the block parsed.
        return out + self.scan().tags_v1


Facts = dict[str, Any] | int
"""What the scan keeps of one file (``Tree._facts``), JSON-able and small (12,000 files' worth is
read back on every edit): 0 when it has nothing to report or compare, else ``n`` its findings as
[kind, …] (``Tree._apply`` turns them into messages, testing the names they need against the
tree), ``i`` a vertical's inline XBlocks as [tag, url_name], ``t`` its parsed ``tags-v1``."""

TagRow = tuple[int, str, str, str, list[str]]
"""A tags.csv cell a block's ``tags-v1`` must match: (line, type, id, export id, values)."""


@dataclass
class _TagFindings:
    """What ``Tree._tag_pass`` found in tags.csv for ``check_tags``."""

    header_found: list[Diagnostic] = field(default_factory=list)
    """Findings about the file itself or its header (a missing file or bad header: the only one)."""
    found: list[Diagnostic] = field(default_factory=list)
    """Findings about rows."""
    unresolved: list[tuple[int, str, str]] = field(default_factory=list)
    """Rows whose ID names no file, as (line, type, id): an error unless it names an inline block."""


SCAN_BUCKETS = 32
"""The scan's facts are kept in this many cache entries, each file's in the one its name's CRC
picks: an edit rewrites the entries of the files it changed (one 12,000-file entry cost more to
write than the whole scan of an edit), and a build reads ~32 small ones."""


def _rules(top: str, path: str, course_file: bool) -> str:
    """Which per-file rules apply to a file (``Tree._facts``), from its folder and extension (and
    whether it is ``course/<run>.xml``); ``t`` (parse it) is added for tags.csv's blocks."""
    is_xml = path.endswith(".xml")
    links = top != "static" and (is_xml or path.endswith(".html"))
    pointers = course_file or top in CONTAINERS - {"course"}
    html = is_xml and top == "html"
    vertical = is_xml and top == "vertical"
    video = top == "video"
    parse = pointers or html or vertical or video
    return (
        ("l" if links else "")
        + ("p" if pointers else "")
        + ("h" if html else "")
        + ("v" if vertical else "")
        + ("V" if video else "")
        + ("x" if is_xml else "")
        + ("t" if parse else "")
    )


def _summary_key(*parts: object) -> str:
    from builder import cache

    return cache.digest("olx-scan-result", cache.code_fingerprint(), *parts)


def _scan_key(bucket: int) -> str:
    from builder import cache

    return cache.digest("olx-scan", cache.code_fingerprint(), bucket)


@dataclass
class Scan:
    """The per-file findings of one pass over the tree, by rule."""

    pointers: list[Diagnostic] = field(default_factory=list)
    html_files: list[Diagnostic] = field(default_factory=list)
    static: list[Diagnostic] = field(default_factory=list)
    transcripts: list[Diagnostic] = field(default_factory=list)
    verticals: list[Diagnostic] = field(default_factory=list)
    videos: list[Diagnostic] = field(default_factory=list)
    tags_v1: list[Diagnostic] = field(default_factory=list)
    inline: set[tuple[str, str]] = field(default_factory=set)
