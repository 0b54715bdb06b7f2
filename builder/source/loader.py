"""Read ``course_src/`` into one validated ``Course``, collecting every error on the way.

Authors fix all their mistakes in one round when they see all of them, so nothing here stops
at the first problem: each file is read once, checked, and every finding carries the file, the
line (and column where the parser gives one), what is wrong and how to fix it. Cross-file rules
(references, uniqueness, grading) run once the whole tree is read.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from builder.archive import source_epoch
from builder.diagnostics import Diagnostic, SourceErrors
from builder.model import (
    Asset,
    Choice,
    CompetenceMap,
    Course,
    Html,
    Problem,
    Section,
    Subsection,
    Transcript,
    Unit,
    Video,
)
from builder.render import markdown
from builder.source import handbook as handbook_reader
from builder.source import session_plans, trainer_notes, yamlpos
from builder.source.schema import (
    CompetencesFile,
    CourseFile,
    ProblemBlock,
    SectionFile,
    SubsectionFile,
    UnitFrontMatter,
    VideoBlock,
)

S = TypeVar("S", bound=BaseModel)

COMPONENTS = frozenset({"problem", "video", *trainer_notes.FENCES})
ORDER_PREFIX = re.compile(r"^(\d+)-")
FLAT_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
IGNORED_FILES = re.compile(r"^(\._.*|\.DS_Store|.*~|\..*)$")
"""Hidden files, macOS forks and editor backups: Open edX skips them too."""


class Loader:
    def __init__(self, root: Path):
        self.root = root
        self.real_root = root.resolve()
        self.diags: list[Diagnostic] = []
        self.positions: dict[str, tuple[str, int]] = {}
        self.assets: dict[str, Asset] = {}
        self.units_read: list[Unit] = []
        """Every unit that parsed, even under a broken section, so its references are checked too."""
        """By path relative to the source root (``static/images/x.png``)."""

    # ------------------------------------------------------------------ reporting

    def error(
        self,
        file: str,
        line: int | None,
        message: str,
        hint: str = "",
        column: int | None = None,
        code: str = "",
    ) -> None:
        self.diags.append(Diagnostic(file, line, column, message, hint, "error", code))

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # ------------------------------------------------------------------ files and paths

    def refuse_symlink(self, rel: str) -> None:
        """A link could point anywhere on the machine that builds the course, so none is followed."""
        self.error(
            rel,
            None,
            "symbolic links are not allowed in a course source",
            "replace the link with the file or folder itself",
            code="symlink",
        )

    def read_text(self, path: Path) -> str | None:
        rel = self.rel(path)
        if path.is_symlink():
            self.refuse_symlink(rel)
            return None
        try:
            return path.read_text(encoding="utf-8-sig")  # editors on Windows may add a BOM
        except FileNotFoundError:
            self.error(rel, None, "file not found", code="missing-file")
        except UnicodeDecodeError as exc:
            self.error(
                rel, None, f"not valid UTF-8 (byte {exc.start})", "save the file as UTF-8", code="encoding"
            )
        return None

    def safe_path(self, raw: str, file: str, line: int | None, what: str) -> Path | None:
        """Resolve a path written in YAML relative to the source root, refusing any escape."""
        shown = _short(raw)
        if not raw or raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw):
            self.error(
                file,
                line,
                f"{what} `{shown}` must be a relative path inside the course source",
                "write it relative to the folder that holds course.yaml, e.g. static/images/x.png",
                code="unsafe-path",
            )
            return None
        try:
            candidate = self.root / raw
            if ".." in PurePosixPath(raw).parts or not self._inside(candidate):
                self.error(
                    file,
                    line,
                    f"{what} `{shown}` points outside the course source",
                    "keep every file inside the course folder",
                    code="unsafe-path",
                )
                return None
            if candidate.is_symlink():
                self.error(
                    file, line, f"{what} `{shown}` is a symbolic link", "use the file itself", code="symlink"
                )
                return None
            exists = candidate.is_file()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte: not a usable path
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.error(
                file,
                line,
                f"{what} `{shown}` is not a usable path ({reason})",
                "use a short relative path such as static/images/x.png",
                code="unsafe-path",
            )
            return None
        if not exists:
            self.error(
                file,
                line,
                f"{what} `{shown}` does not exist",
                self._did_you_mean_file(raw),
                code="missing-file",
            )
            return None
        return candidate

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.real_root)
            return True
        except ValueError:
            return False

    def _did_you_mean_file(self, raw: str) -> str:
        # difflib is quadratic: a suggestion for a path longer than any real one is not worth it
        match = difflib.get_close_matches(raw, list(self.assets), n=1) if len(raw) <= 300 else []
        return f"did you mean `{match[0]}`?" if match else "check the spelling and that the file is committed"

    # ------------------------------------------------------------------ YAML → schema

    def parse(self, schema: type[S], text: str, file: str, line_offset: int = 0) -> S | None:
        return self.parse_with_positions(schema, text, file, line_offset)[0]

    def parse_with_positions(
        self, schema: type[S], text: str, file: str, line_offset: int = 0
    ) -> tuple[S | None, yamlpos.YamlDoc | None]:
        """Validate ``text`` against ``schema``; also return the parsed positions for later messages."""
        try:
            doc = yamlpos.load(text, line_offset)
        except yamlpos.YamlSyntaxError as exc:
            self.error(file, exc.line, exc.message, exc.hint, exc.column, code="yaml-syntax")
            return None, None
        for path, line, col in doc.duplicates:
            self.error(
                file, line, f"key `{path[-1]}` appears twice", "keep one of them", col, code="duplicate-key"
            )
        if not isinstance(doc.value, dict):
            line, col = doc.position(())
            self.error(
                file,
                line,
                f"expected a mapping of keys (like `id: …`), found {type(doc.value).__name__}",
                "see docs/source-format.md",
                col,
                code="not-a-mapping",
            )
            return None, doc
        try:
            return schema.model_validate(doc.value), doc
        except ValidationError as exc:
            for err in exc.errors():
                self._schema_error(schema, err, doc, file)
            return None, doc

    def _schema_error(self, schema: type[BaseModel], err: Any, doc: yamlpos.YamlDoc, file: str) -> None:
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            line, col = doc.key_positions.get(loc) or doc.position(loc)
            known = _fields_at(schema, loc[:-1])
            match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
            hint = f"did you mean `{match[0]}`?" if match else f"known keys: {', '.join(sorted(known))}"
            self.error(file, line, f"unknown key `{_dotted(loc)}`", hint, col, code="unknown-key")
            return
        line, col = doc.position(loc)
        where = f"`{_dotted(loc)}`" if loc else "this block"
        if kind == "missing":
            self.error(
                file,
                line,
                f"missing required key `{_dotted(loc)}`",
                f"add `{loc[-1]}: …` (see docs/source-format.md)",
                col,
                code="missing-key",
            )
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            self.error(
                file,
                line,
                f"{where}: {err['input']!r} is not allowed",
                f"use one of {expected}",
                col,
                code="bad-value",
            )
        elif kind == "string_pattern_mismatch":
            self.error(
                file,
                line,
                f"{where}: {err['input']!r} has characters that are not allowed",
                "ids use letters, digits, '.', '_' and '-' and start with a letter or digit",
                col,
                code="bad-id" if loc and loc[-1] == "id" else "bad-value",
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            self.error(file, line, f"{where}: {msg}", "", col, code=f"invalid.{kind}")

    # ------------------------------------------------------------------ static assets

    def scan_static(self) -> None:
        static = self.root / "static"
        if not static.is_dir():
            return
        flat_seen: dict[str, str] = {}
        for path in sorted(static.rglob("*")):
            rel = self.rel(path)
            if path.is_symlink():
                self.refuse_symlink(rel)
                continue
            if not path.is_file() or any(IGNORED_FILES.match(p) for p in path.relative_to(static).parts):
                continue
            inner = path.relative_to(static).as_posix()
            flat = inner.replace("/", "_")
            if not FLAT_NAME.match(flat):
                self.error(
                    rel,
                    None,
                    "file name has characters Open edX would rewrite",
                    "rename it using letters, digits, '.', '_' and '-' only",
                    code="bad-asset-name",
                )
                continue
            if flat in flat_seen:
                self.error(
                    rel,
                    None,
                    f"publishes as `{flat}`, the same name as `{flat_seen[flat]}`",
                    "rename one of them (Open edX flattens folders into file names)",
                    code="asset-collision",
                )
                continue
            flat_seen[flat] = rel
            self.assets[rel] = Asset(
                source=path.resolve(), rel_path=rel, flat_name=flat, size=path.stat().st_size
            )

    def asset(self, raw: str, file: str, line: int | None, what: str) -> Asset | None:
        path = self.safe_path(raw, file, line, what)
        if path is None:
            return None
        rel = self.rel(path)
        if rel not in self.assets:
            self.error(
                file,
                line,
                f"{what} `{raw}` is not under static/",
                "put files that a course shows or links into course_src/static/",
                code="not-static",
            )
            return None
        return self.assets[rel]

    def link_resolver(self, md_file: Path) -> markdown.LinkResolver:
        """Resolve Markdown links relative to the file, or root-anchored as ``/static/…``."""
        file = self.rel(md_file)

        def resolve(url: str, line: int) -> str | None:
            if not url or markdown.is_external(url):
                return None
            target, sep, frag = url.partition("#")
            if target.startswith("/static/"):
                rel = target.lstrip("/")
            elif target.startswith("/") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
                self.error(
                    file,
                    line,
                    f"link `{_short(url)}` is neither a web address nor a file in static/",
                    "use https://… for web pages and static/ paths for files",
                    code="bad-link",
                )
                return None
            else:
                full = md_file.parent / target
                if not self._inside(full):
                    self.error(
                        file,
                        line,
                        f"link `{_short(url)}` points outside the course source",
                        "link only files inside course_src/static/",
                        code="unsafe-path",
                    )
                    return None
                rel = self.rel(Path(_normalise(full.as_posix())))
            asset = self.assets.get(rel)
            if asset is None:
                hint = self._did_you_mean_file(rel)
                if not rel.startswith("static/"):
                    hint = "files must live in course_src/static/; " + hint
                self.error(
                    file,
                    line,
                    f"link `{_short(url)}` does not resolve to a file in static/",
                    hint,
                    code="missing-file",
                )
                return None
            return f"/static/{asset.flat_name}" + (sep + frag if sep else "")

        return resolve

    # ------------------------------------------------------------------ outline

    def ordered(self, folder: Path, want_dirs: bool) -> list[Path]:
        items: list[tuple[int, str, Path]] = []
        for child in sorted(folder.iterdir()):
            if IGNORED_FILES.match(child.name):
                continue
            if child.name in ("section.yaml", "subsection.yaml", session_plans.FILE):
                continue
            rel = self.rel(child)
            if child.is_symlink():
                self.refuse_symlink(rel)
                continue
            m = ORDER_PREFIX.match(child.name)
            is_wanted = child.is_dir() if want_dirs else (child.is_file() and child.suffix == ".md")
            if not is_wanted:
                expected = "a folder" if want_dirs else "a unit file ending in .md"
                self.error(
                    rel,
                    None,
                    f"unexpected {'folder' if child.is_dir() else 'file'} here, expected {expected}",
                    "move or remove it",
                    code="unexpected-entry",
                )
                continue
            if not m:
                self.error(
                    rel,
                    None,
                    "name has no numeric order prefix",
                    f"rename it like `01-{child.name}` to place it in the outline",
                    code="no-prefix",
                )
                continue
            items.append((int(m.group(1)), child.name, child))
        seen: dict[int, str] = {}
        for num, name, child in sorted(items):
            if num in seen:
                self.error(
                    self.rel(child),
                    None,
                    f"order prefix {num} is also used by `{seen[num]}`",
                    "give each entry its own number",
                    code="duplicate-prefix",
                )
            seen.setdefault(num, name)
        return [c for _, _, c in sorted(items)]

    def load_meta(self, folder: Path, name: str, schema: type[S]) -> S | None:
        path = folder / name
        if not path.exists():
            self.error(
                self.rel(folder),
                None,
                f"missing {name}",
                f"add {name} with at least `id:` and `title:`",
                code="missing-file",
            )
            return None
        text = self.read_text(path)
        return None if text is None else self.parse(schema, text, self.rel(path))

    def load_unit(self, path: Path) -> Unit | None:
        file = self.rel(path)
        text = self.read_text(path)
        if text is None:
            return None
        lines = text.split("\n")
        if not lines or lines[0].strip() != "---":
            self.error(
                file,
                1,
                "a unit starts with YAML front matter between `---` lines",
                "begin the file with ---, then id:, title:, outcomes:, then ---",
                code="no-front-matter",
            )
            return None
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            self.error(
                file,
                1,
                "front matter is not closed",
                "add a line `---` after the front matter",
                code="no-front-matter",
            )
            return None
        front = self.parse(UnitFrontMatter, "\n".join(lines[1:end]), file, line_offset=1)
        body = "\n".join(lines[end + 1 :])
        body_offset = end + 1
        resolve = self.link_resolver(path)
        components: list[Any] = []
        notes = []
        prose_count = 0
        unit_id = front.id if front else "unit"
        for block in markdown.split_blocks(body, COMPONENTS):
            line = body_offset + block.line
            if block.kind == "prose":
                markdown.rewrite_links(block.tokens, resolve, body_offset)
                html = markdown.render_tokens(block.tokens).strip()
                if not html:
                    continue
                prose_count += 1
                source = "".join(t.content for t in block.tokens if t.type == "inline")
                components.append(Html(id=f"{unit_id}-text{prose_count}", markdown=source, html=html))
            elif block.kind == "problem":
                problem = self.load_problem(block.content, file, line, path)
                if problem:
                    components.append(problem)
            elif block.kind == "video":
                video = self.load_video(block.content, file, line)
                if video:
                    components.append(video)
            elif block.kind in trainer_notes.FENCES:
                note = trainer_notes.read_note(self, block.kind, block.content, file, line, path)
                if note:
                    notes.append(note)
        if front is None:
            return None
        self.positions[front.id] = (file, 2)
        unit = Unit(
            id=front.id,
            title=front.title,
            outcomes=front.outcomes,
            components=components,
            source=file,
            trainer_notes=notes,
        )
        self.units_read.append(unit)
        return unit

    def load_units(self, files: list[Path]) -> dict[Path, Unit | None]:
        """Read unit files, in worker processes when there are enough to repay starting them."""
        workers = min(os.cpu_count() or 1, 8)
        if len(files) < PARALLEL_UNITS or workers < 2:
            return {f: self.load_unit(f) for f in files}
        size = -(-len(files) // workers)
        chunks = [files[i : i + size] for i in range(0, len(files), size)]
        loaded: dict[Path, Unit | None] = {}
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            for chunk, (units, diags, positions) in zip(
                chunks, pool.map(_load_unit_chunk, [(self.root, self.assets, c) for c in chunks]), strict=True
            ):
                loaded.update(zip(chunk, units, strict=True))
                self.diags += diags
                self.positions.update(positions)
                self.units_read += [u for u in units if u]
        return loaded

    def load_problem(self, content: str, file: str, line: int, md_file: Path) -> Problem | None:
        block = self.parse(ProblemBlock, content, file, line_offset=line)
        if block is None:
            return None
        self.positions[block.id] = (file, line)
        resolve = self.link_resolver(md_file)

        def md(text: str) -> str:
            return markdown.render(text, resolve, line)

        def inline(text: str) -> str:
            return markdown.render_inline(text, resolve, line)

        return Problem(
            id=block.id,
            type=block.type,
            title=block.title,
            prompt_md=block.prompt,
            prompt_html=md(block.prompt),
            choices=[
                Choice(
                    text_md=c.text,
                    text_html=inline(c.text),
                    correct=c.correct,
                    feedback_md=c.feedback,
                    feedback_html=inline(c.feedback),
                )
                for c in block.choices
            ],
            answer=block.answer,
            tolerance=str(block.tolerance),
            answers=[a.strip() for a in block.answers],
            case_sensitive=block.case_sensitive,
            hints_md=block.hints,
            hints_html=[md(h) for h in block.hints],
            explanation_md=block.explanation,
            explanation_html=md(block.explanation),
            max_attempts=block.max_attempts,
            weight=block.weight,
            assesses=block.assesses,
            line=line,
        )

    def load_video(self, content: str, file: str, line: int) -> Video | None:
        block = self.parse(VideoBlock, content, file, line_offset=line)
        if block is None:
            return None
        self.positions[block.id] = (file, line)
        transcripts = []
        for lang, raw in sorted(block.transcripts.items()):
            asset = self.asset(raw, file, line, f"transcript `{lang}`")
            if asset and not asset.rel_path.endswith(".srt"):
                self.error(
                    file,
                    line,
                    f"transcript `{raw}` is not an .srt file",
                    "Open edX reads SubRip (.srt)",
                    code="bad-transcript",
                )
            elif asset:
                transcripts.append(Transcript(language=lang, asset=asset))
        return Video(
            id=block.id,
            title=block.title,
            youtube_id=block.youtube,
            mp4_url=block.mp4,
            transcripts=transcripts,
            start=block.start,
            end=block.end,
            line=line,
        )

    def load_outline(self) -> list[Section]:
        outline = self.root / "outline"
        if not outline.is_dir():
            self.error(
                "outline",
                None,
                "missing outline/ folder",
                "create outline/01-<section>/01-<subsection>/01-<unit>.md",
                code="missing-file",
            )
            return []
        # Pass 1: the outline's shape and metadata. Pass 2: every unit file, in parallel for large
        # courses (parsing Markdown is most of the load time). Pass 3: assemble in outline order.
        plan = []
        for sdir in self.ordered(outline, want_dirs=True):
            meta = self.load_meta(sdir, "section.yaml", SectionFile)
            subs = []
            for ssdir in self.ordered(sdir, want_dirs=True):
                ssmeta = self.load_meta(ssdir, "subsection.yaml", SubsectionFile)
                subs.append((ssdir, ssmeta, self.ordered(ssdir, want_dirs=False)))
            plan.append((sdir, meta, subs))
        loaded = self.load_units([f for _, _, subs in plan for _, _, files in subs for f in files])
        sections = []
        for sdir, meta, subs in plan:
            subsections = []
            for ssdir, ssmeta, files in subs:
                units = [u for f in files if (u := loaded[f])]
                if ssmeta:
                    self.positions[ssmeta.id] = (self.rel(ssdir / "subsection.yaml"), 1)
                    if not files:  # a unit that failed to load has its own error
                        self.error(
                            self.rel(ssdir),
                            None,
                            "subsection has no units",
                            "add at least one NN-unit.md",
                            code="empty",
                        )
                    subsections.append(
                        Subsection(
                            id=ssmeta.id,
                            title=ssmeta.title,
                            graded=bool(ssmeta.format),
                            format=ssmeta.format,
                            due=ssmeta.due,
                            units=units,
                            session_plan=session_plans.read_session_plan(self, ssdir),
                        )
                    )
            if meta:
                self.positions[meta.id] = (self.rel(sdir / "section.yaml"), 1)
                if not subsections:
                    self.error(
                        self.rel(sdir),
                        None,
                        "section has no subsections",
                        "add a folder 01-<subsection> with subsection.yaml",
                        code="empty",
                    )
                sections.append(Section(id=meta.id, title=meta.title, subsections=subsections))
        if not sections and not self.diags:
            self.error(
                "outline",
                None,
                "the outline is empty",
                "add a section folder such as 01-introduction",
                code="empty",
            )
        return sections

    # ------------------------------------------------------------------ whole course

    def load(self) -> Course:
        if not self.root.is_dir():
            raise SourceErrors(
                [
                    Diagnostic(
                        str(self.root),
                        None,
                        None,
                        "course source folder not found",
                        "pass the folder that holds course.yaml",
                    )
                ]
            )
        self.scan_static()
        course_text = self.read_text(self.root / "course.yaml")
        meta, course_doc = (
            self.parse_with_positions(CourseFile, course_text, "course.yaml")
            if course_text is not None
            else (None, None)
        )
        doc_lines = _top_lines(course_doc)
        cmap = self.load_competences(
            meta.competence_map if meta else "competences.yaml", doc_lines.get("competence_map")
        )
        sections = self.load_outline()
        handbook = handbook_reader.read_handbook(self)
        overview_html, image = "", None
        if meta:
            ov = self.safe_path(meta.overview, "course.yaml", doc_lines.get("overview"), "overview")
            if ov is not None and (ov_text := self.read_text(ov)) is not None:
                overview_html = markdown.render(ov_text, self.link_resolver(ov))
            image = self.asset(meta.image, "course.yaml", doc_lines.get("image"), "course image")
            self.check_grading(meta, sections, doc_lines)
        if cmap:
            self.check_references(cmap)
            known = {o.id for o in cmap.outcomes()}
            session_plans.check_outcomes(self, [ss for s in sections for ss in s.subsections], known)
        self.check_unique_ids(sections, cmap)
        if self.diags or meta is None or cmap is None or image is None:
            raise SourceErrors(
                self.diags or [Diagnostic("course.yaml", None, None, "course could not be loaded")]
            )
        return Course(
            org=meta.org,
            number=meta.number,
            run=meta.run,
            title=meta.title,
            language=meta.language,
            start=meta.start,
            end=meta.end,
            pacing=meta.pacing,
            short_description=meta.short_description,
            overview_html=overview_html,
            image=image,
            license=meta.license,
            grading=meta.grading,
            competences=cmap,
            sections=sections,
            handbook=handbook,
            assets=sorted(self.assets.values(), key=lambda a: a.flat_name),
            source_epoch=source_epoch(self.root),
            positions=self.positions,
        )

    def load_competences(self, raw: str, line: int | None) -> CompetenceMap | None:
        """``line``: where course.yaml names the map, for messages about the path."""
        path = self.safe_path(raw, "course.yaml", line, "competence map")
        if path is None:
            return None
        text = self.read_text(path)
        if text is None:
            return None
        file = self.rel(path)
        parsed, doc = self.parse_with_positions(CompetencesFile, text, file)
        if parsed is None or doc is None:
            return None
        units = []
        for ui, unit in enumerate(parsed.units):
            self.positions[unit.id] = (file, doc.position(("units", ui, "id"))[0])
            outcomes = []
            for oi, o in enumerate(unit.outcomes):
                self.positions[o.id] = (file, doc.position(("units", ui, "outcomes", oi, "id"))[0])
                outcomes.append(o.model_copy(update={"unit_id": unit.id}))
            units.append(unit.model_copy(update={"outcomes": outcomes}))
        seen: dict[str, int] = {}
        for node_id, (_, line) in [(u.id, self.positions[u.id]) for u in units] + [
            (o.id, self.positions[o.id]) for u in units for o in u.outcomes
        ]:
            if node_id in seen:
                self.error(
                    file,
                    line,
                    f"id `{node_id}` is already used on line {seen[node_id]}",
                    "ids in the competence map must be unique",
                    code="duplicate-id",
                )
            seen.setdefault(node_id, line)
        return CompetenceMap(framework=parsed.framework, units=units)

    def check_grading(self, meta: CourseFile, sections: list[Section], lines: dict[str, int]) -> None:
        types = [g.type for g in meta.grading.graders]
        line = lines.get("grading")
        for t in {t for t in types if types.count(t) > 1}:
            self.error("course.yaml", line, f"grader type `{t}` is defined twice", "keep one", code="grading")
        total = sum(g.weight for g in meta.grading.graders)
        if meta.grading.graders and abs(total - 1.0) > 1e-6:
            self.error(
                "course.yaml",
                line,
                f"grader weights sum to {total:g}, not 1",
                "adjust the weights so that they add up to 1",
                code="grading",
            )
        for s in sections:
            for ss in s.subsections:
                if ss.format and ss.format not in types:
                    match = difflib.get_close_matches(ss.format, types, n=1)
                    hint = (
                        f"did you mean `{match[0]}`?"
                        if match
                        else "define it under grading.graders in course.yaml"
                    )
                    file, fline = self.positions.get(ss.id, ("", None))
                    self.error(
                        file,
                        _key_lines(_safe_read(self.root / file)).get("format", fline),
                        f"format `{ss.format}` is not a grader type of this course",
                        hint,
                        code="grading",
                    )

    def check_references(self, cmap: CompetenceMap) -> None:
        known = {o.id for o in cmap.outcomes()}
        candidates = sorted(known)

        def check(ids: list[str], file: str, line: Callable[[], int], what: str) -> None:
            """``line`` is computed only for an unknown id: finding it may mean reading the file."""
            for oid in ids:
                if oid not in known:
                    match = difflib.get_close_matches(oid, candidates, n=1, cutoff=0.6)
                    hint = (
                        f"did you mean `{match[0]}`?"
                        if match
                        else "add it to the competence map or fix the id"
                    )
                    self.error(
                        file,
                        line(),
                        f"{what} `{oid}` is not an outcome in the competence map",
                        hint,
                        code="unknown-outcome",
                    )

        for u in self.units_read:
            check(u.outcomes, u.source, lambda u=u: _front_line(self.root / u.source, "outcomes"), "outcome")
            for p in u.problems:
                check(p.assesses, u.source, lambda p=p: p.line, "assessed outcome")

    def check_unique_ids(self, sections: list[Section], cmap: CompetenceMap | None) -> None:
        seen: dict[str, str] = {}

        def claim(node_id: str, file: str, line: int | None, kind: str) -> None:
            if node_id in seen:
                self.error(
                    file,
                    line,
                    f"{kind} id `{node_id}` is already used in {seen[node_id]}",
                    "ids must be unique across the whole course",
                    code="duplicate-id",
                )
            else:
                seen[node_id] = f"{file}:{line}" if line else file

        for s in sections:
            claim(s.id, *self.positions.get(s.id, ("outline", None)), "section")
            for ss in s.subsections:
                claim(ss.id, *self.positions.get(ss.id, ("outline", None)), "subsection")
                for u in ss.units:
                    claim(u.id, u.source, 2, "unit")
                    for c in u.components:
                        if isinstance(c, (Problem, Video)):
                            claim(c.id, u.source, c.line, c.kind)
                        else:
                            claim(c.id, u.source, None, "text block")


PARALLEL_UNITS = 400
"""Below this many unit files, starting worker processes costs more than it saves."""


def _load_unit_chunk(
    args: tuple[Path, dict[str, Asset], list[Path]],
) -> tuple[list[Unit | None], list[Diagnostic], dict[str, tuple[str, int]]]:
    """Worker: load some unit files with a loader that shares the parent's asset index."""
    root, assets, files = args
    loader = Loader(root)
    loader.assets = assets
    units = [loader.load_unit(f) for f in files]
    return units, loader.diags, loader.positions


def load_course(root: Path | str) -> Course:
    """Read and validate a course source folder; raise ``SourceErrors`` with every finding."""
    return Loader(Path(root)).load()


# ---------------------------------------------------------------------- helpers


def _fields_at(schema: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at ``loc`` in ``schema``, following nested models and lists."""
    model: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _inner_model(field.annotation)
    return list(getattr(model, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _normalise(posix: str) -> str:
    parts: list[str] = []
    for p in posix.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return ("/" if posix.startswith("/") else "") + "/".join(parts)


def _short(text: str, limit: int = 80) -> str:
    """A value as it may appear in a message: partner input can be arbitrarily long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe_read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""


def _top_lines(doc: yamlpos.YamlDoc | None) -> dict[str, int]:
    """Line of each top-level key, for messages about values that passed schema validation."""
    if doc is None:
        return {}
    return {str(p[0]): pos[0] for p, pos in doc.key_positions.items() if len(p) == 1}


def _key_lines(text: str) -> dict[str, int]:
    """As ``_top_lines``, for a file read again only to place an error message."""
    try:
        return _top_lines(yamlpos.load(text))
    except yamlpos.YamlSyntaxError:
        return {}


def _front_line(path: Path, key: str) -> int:
    for i, line in enumerate(_safe_read(path).split("\n")[:60], start=1):
        if line.startswith(f"{key}:"):
            return i
    return 2
