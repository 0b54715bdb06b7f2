#!/usr/bin/env python3
"""Benchmark: cold, no-op and one-unit-edit builds of generated courses, against the archiving floor.

Issue 9's goals: a 2,000-unit all-target cold build in at most 1.5× the floor (``tar czf`` of the OLX
tree + ``zip`` of each zip package's tree, measured here on the very files the build produced), a
no-op rebuild in ≤ 5 % and a one-unit edit in ≤ 10 % of the cold build, ≤ 200 MB (PSS, all
processes) at 20,000 units, and a cost per unit that stays linear.

Time is CPU time (user + sys of the build and every worker it forked, from ``getrusage``), because
wall time on a shared machine measures the neighbours; wall time is reported beside it. Memory is
the peak of the summed PSS of the build's whole process tree, sampled every 20 ms from
``/proc/<pid>/smaps_rollup`` (RSS would count shared pages once per worker). The sampling is not
free: the kernel walks every page table of the tree 50 times a second, which made a 2,000-unit cold
build 19 % slower in wall time (6.3 → 7.5 s). So the timed builds run unobserved, and memory comes
from one more round of the same cold, no-op and edit builds, sampled.

Usage: .venv/bin/python scripts/benchmark.py [--sizes 200,2000] [--big] [--repeat 1] [--markdown FILE]
                                            [--targets all|olx,scorm12,…]
       .venv/bin/python scripts/benchmark.py --serve 20

``--serve N`` measures ``coursepack serve`` instead (issue 8: a page updates within 300 ms of a save):
on a copy of the sample course, N edits of one unit file, each timed from the file write to the
server-sent ``change`` event, and to the unit's new page being received (what the preview's frame
loads next). Median and 90th percentile.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = ["single", "multiple", "numeric", "text", "dropdown"]
PARAGRAPH = (
    "Managers of small firms weigh every digital investment against cash, time and the attention of a "
    "small team. A good decision starts from the customer problem, names the measure of success, and "
    "plans a small experiment before a large roll-out; R&D budgets < 5% of turnover make this essential. "
)


def problem(kind: str, pid: str, outcome: str) -> str:
    head = f"```problem\nid: {pid}\ntype: {kind}\nprompt: Question {pid} about **digital** leadership?\n"
    if kind in ("single", "dropdown", "multiple"):
        body = (
            "choices:\n  - text: Option A\n    correct: true\n    feedback: Right.\n"
            "  - text: Option B\n    correct: "
            + ("true" if kind == "multiple" else "false")
            + "\n    feedback: Hm.\n"
            "  - text: Option C\n    feedback: No.\n"
        )
    elif kind == "numeric":
        body = 'answer: 42\ntolerance: "5%"\n'
    else:
        body = "answers: [key performance indicator, KPI]\n"
    tail = f"hints: [Think about it.]\nexplanation: Because.\nmax_attempts: 2\nassesses: [{outcome}]\n```\n"
    return head + body + tail


def generate(root: Path, units: int) -> None:
    """A course shaped like the sample: 5 units of learning outcomes, sections of 10×10 units."""
    shutil.copytree(ROOT / "course_src" / "static", root / "static")
    (root / "overview.md").write_text("## About\n\nA generated course for benchmarking.\n")
    outcomes = [f"B.U{u}.{k}" for u in range(1, 6) for k in ("K1", "K2", "S1", "S2", "RA1")]
    cats = {
        "K1": "knowledge",
        "K2": "knowledge",
        "S1": "skills",
        "S2": "skills",
        "RA1": "responsibility_autonomy",
    }
    lines = [
        "framework: {id: bench, title: Bench map, version: '1', language: en, "
        "base_uri: 'https://example.org/bench', profile: Bench}",
        "units:",
    ]
    for u in range(1, 6):
        lines.append(
            f"  - {{id: B.U{u}, title: Unit {u}, eqf_level: 5, ecvet_points: 2, hours: 50, outcomes: ["
        )
        lines += [
            f"      {{id: B.U{u}.{k}, category: {c}, statement: 'Does thing {k} of unit {u}.'}},"
            for k, c in cats.items()
        ]
        lines.append("    ]}")
    (root / "competences.yaml").write_text("\n".join(lines) + "\n")
    (root / "course.yaml").write_text(
        "org: Bench\nnumber: B1\nrun: r1\ntitle: Benchmark course\nlanguage: en\n"
        "start: 2026-01-01T00:00:00Z\nend: 2026-12-31T00:00:00Z\npacing: self\n"
        "short_description: Generated.\noverview: overview.md\nimage: static/images/course-image.png\n"
        "license: CC-BY-4.0\ncompetence_map: competences.yaml\n"
        "grading:\n  pass_cutoff: 0.5\n  graders:\n    - {type: Quiz, short_label: Q, min_count: 1, "
        "drop_count: 0, weight: 1.0}\n"
    )
    per_ss, per_s = 10, 10
    n = 0
    for s in range((units + per_ss * per_s - 1) // (per_ss * per_s)):
        sdir = root / "outline" / f"{s + 1:02d}-section"
        sdir.mkdir(parents=True)
        (sdir / "section.yaml").write_text(f"id: s{s}\ntitle: Section {s}\n")
        for ss in range(per_s):
            if n >= units:
                break
            ssdir = sdir / f"{ss + 1:02d}-sub"
            ssdir.mkdir()
            graded = "format: Quiz\n" if ss % 2 else ""
            (ssdir / "subsection.yaml").write_text(f"id: ss{s}-{ss}\ntitle: Subsection {s}.{ss}\n{graded}")
            for u in range(per_ss):
                if n >= units:
                    break
                o = outcomes[n % len(outcomes)]
                body = "\n\n".join([PARAGRAPH * 3] * 3)
                text = (
                    f"---\nid: u{n}\ntitle: Unit {n} — Società & <data>\noutcomes: [{o}]\n---\n\n"
                    f"## Part {n}\n\n"
                    f"{body}\n\n![Roadmap](/static/images/transformation-roadmap.png)\n\n"
                    f"{problem(TYPES[n % 5], f'p{n}', o)}\n{PARAGRAPH}\n"
                )
                (ssdir / f"{u + 1:02d}-unit.md").write_text(text)
                n += 1


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux /proc), for summing the memory of a process tree."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


_BUILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The environment of every measured command. A shell that sets ``PYTHONDONTWRITEBYTECODE``
(some CI images and sandboxes do) makes each build compile coursepack's modules again, ~0.14 s of
a one-unit edit at 2,000 units that no user pays: an install writes the bytecode once."""


def measure(cmd: list[str], cwd: Path | None = None, sample_memory: bool = False) -> dict[str, float]:
    """CPU seconds (user+sys, all processes) and wall seconds; with ``sample_memory``, also the peak
    summed PSS (MB) of the tree — a run whose times then include the sampling's cost."""
    cpu0 = _cpu_children()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, env=_BUILD_ENV)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in _children(proc.pid)))
            time.sleep(0.02)

    watcher = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        watcher.start()
    rc = proc.wait()
    if sample_memory:
        watcher.join()
    if rc:
        raise SystemExit(f"{' '.join(cmd)} exited with {rc}")
    out = {"cpu": _cpu_children() - cpu0, "wall": time.perf_counter() - t0}
    if sample_memory:
        out["pss"] = peak[0] / 1024
    return out


def floor(dist: Path, work: Path) -> dict[str, float]:
    """tar czf of the OLX tree + zip -qr of each zip package's tree, from extracted copies of our outputs."""
    total = {"cpu": 0.0, "wall": 0.0}
    for art in sorted(dist.iterdir()):
        tree = work / (art.name + ".d")
        if art.name.endswith(".tar.gz"):
            with tarfile.open(art) as t:
                t.extractall(tree, filter="data")
            m = measure(["tar", "czf", str(work / "floor.tar.gz"), "-C", str(tree), "."])
        elif art.name.endswith(".zip"):
            with zipfile.ZipFile(art) as z:
                z.extractall(tree)
            m = measure(["zip", "-qr", str(work / "floor.zip"), "."], cwd=tree)
            (work / "floor.zip").unlink()
        else:
            continue
        total["cpu"] += m["cpu"]
        total["wall"] += m["wall"]
    shutil.rmtree(work, ignore_errors=True)
    return total


def edit_one_unit(src: Path) -> None:
    """Change one sentence in the body of one unit, as an author fixing a typo would."""
    unit = sorted((src / "outline").rglob("*-unit.md"))[0]
    unit.write_text(unit.read_text().replace("A good decision", "A sound decision", 1))


def med(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def bench(
    units: int, repeat: int, work: Path, python: str, cwd: Path, targets: str = "all"
) -> dict[str, object]:
    src = work / f"src{units}"
    shutil.rmtree(src, ignore_errors=True)
    generate(src, units)
    dist = work / f"dist{units}"
    cmd = [python, "-m", "builder.cli", "--quiet", "build", str(src), "--out", str(dist)]
    cmd += [a for t in targets.split(",") for a in ("--target", t.strip())]
    cold, noop, edit = [], [], []
    for _ in range(repeat):
        shutil.rmtree(dist, ignore_errors=True)
        cold.append(measure(cmd, cwd))
        noop.append(measure(cmd, cwd))
        edit_one_unit(src)
        edit.append(measure(cmd, cwd))
    # Memory: one more round, sampled (its times are not used: the sampling slows the build).
    shutil.rmtree(dist, ignore_errors=True)
    memory = {"cold": measure(cmd, cwd, sample_memory=True)["pss"]}
    memory["noop"] = measure(cmd, cwd, sample_memory=True)["pss"]
    edit_one_unit(src)
    memory["edit"] = measure(cmd, cwd, sample_memory=True)["pss"]
    floors = [floor(dist, Path(tempfile.mkdtemp(dir=work))) for _ in range(repeat)]
    sizes = {a.name: a.stat().st_size for a in sorted(dist.iterdir()) if a.is_file()}
    return {
        "units": units,
        "cold": cold,
        "noop": noop,
        "edit": edit,
        "floor": floors,
        "memory": memory,
        "sizes": sizes,
    }


def table(results: list[dict[str, object]]) -> str:
    """One row per size: medians of CPU (wall), and the peak PSS of each kind of build, since the
    goal bounds every one of them (a single maximum hid which build it came from)."""
    rows = [
        "| units | cold CPU s (wall) | floor CPU s | cold / floor | no-op CPU s (wall; % cold) "
        "| one-unit edit CPU s (wall; % cold) | CPU ms / unit | peak PSS MB: cold / no-op / edit |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cold, fl = med(r["cold"], "cpu"), med(r["floor"], "cpu")  # type: ignore[arg-type]
        noop, edit = med(r["noop"], "cpu"), med(r["edit"], "cpu")  # type: ignore[arg-type]
        pss = " / ".join(f"{r['memory'][k]:.0f}" for k in ("cold", "noop", "edit"))  # type: ignore[index]
        rows.append(
            f"| {r['units']:,} | {cold:.2f} ({med(r['cold'], 'wall'):.2f}) | {fl:.2f} | {cold / fl:.1f}× "  # type: ignore[arg-type]
            f"| {noop:.2f} ({med(r['noop'], 'wall'):.2f}; {100 * noop / cold:.0f} %) "  # type: ignore[arg-type]
            f"| {edit:.2f} ({med(r['edit'], 'wall'):.2f}; {100 * edit / cold:.0f} %) "  # type: ignore[arg-type]
            f"| {1000 * cold / r['units']:.2f} | {pss} |"
        )
    return "\n".join(rows) + "\n"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"


SERVE_UNIT = "outline/01-digital-strategy/01-why-digital-strategy/02-what-is-digital-strategy.md"
SERVE_UNIT_ID = "u-what-is-digital-strategy"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_serve(edits: int) -> None:
    """Edit one unit of a copy of the sample course N times; time write → event → new page."""
    import queue
    import threading

    import httpx

    from builder.serve.server import Preview
    from builder.source.loader import load_course

    work = Path(tempfile.mkdtemp(prefix="coursepack-serve-bench-"))
    src = work / "course_src"
    shutil.copytree(ROOT / "course_src", src)
    loads = []
    for _ in range(5):
        t0 = time.perf_counter()
        load_course(src)
        loads.append(time.perf_counter() - t0)
    unit = src / SERVE_UNIT
    original = unit.read_text(encoding="utf-8")
    events: queue.Queue[tuple[float, str]] = queue.Queue()
    to_event, to_page, refresh = [], [], []
    with Preview(src) as preview, httpx.Client(base_url=preview.url, timeout=10) as client:

        def listen() -> None:
            try:
                with client.stream("GET", "/_preview/events") as stream:
                    for line in stream.iter_lines():
                        if line.startswith("data: "):
                            events.put((time.perf_counter(), line[6:]))
            except httpx.HTTPError:
                pass  # the server stopped at the end of the run

        threading.Thread(target=listen, daemon=True).start()
        client.get(f"/scorm2004/sco/{SERVE_UNIT_ID}.html")  # warm: the page is cached before the edits
        time.sleep(0.5)
        for n in range(edits):
            marker = f"Edited for the benchmark, round {n}."
            t0 = time.perf_counter()
            unit.write_text(original.replace("A website is a tool.", marker), encoding="utf-8")
            arrived, _data = events.get(timeout=10)
            page = client.get(f"/scorm2004/sco/{SERVE_UNIT_ID}.html").text
            done = time.perf_counter()
            if marker not in page:
                raise SystemExit(f"round {n}: the page does not show the edit")
            to_event.append(arrived - t0)
            to_page.append(done - t0)
            refresh.append(preview.site.last_refresh)
            time.sleep(0.3)
        unit.write_text(original, encoding="utf-8")
        in_browser = bench_serve_browser(preview, unit, original, edits)
    shutil.rmtree(work, ignore_errors=True)

    def ms(values: list[float]) -> str:
        median, p90 = statistics.median(values), percentile(values, 0.9)
        return f"median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms"

    print(f"sample course: full load (median of 5): {statistics.median(loads) * 1000:.0f} ms")
    print(f"serve, {edits} edits of one unit:")
    print(f"  server reload (changed files only): {ms(refresh)}")
    print(f"  file write -> SSE change event:     {ms(to_event)}")
    print(f"  file write -> new page received:    {ms(to_page)}  (goal: page updated within 300 ms)")
    if in_browser:
        print(f"  file write -> new text shown in Chromium: {ms(in_browser)}")
    else:
        print("  (no chromium/playwright: the in-browser measurement was skipped)")


def bench_serve_browser(preview, unit: Path, original: str, edits: int) -> list[float]:
    """The same edit, timed until headless Chromium shows the new text in the preview's frame."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    if not chromium:
        return []
    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{preview.url}/#unit={SERVE_UNIT_ID}")
        page.wait_for_function(
            "window.cpPreview && window.cpPreview.loads >= 1 && window.cpPreview.connected", timeout=15_000
        )
        for n in range(edits):
            marker = f"Shown in the browser, round {n}."
            t0 = time.perf_counter()
            unit.write_text(original.replace("A website is a tool.", marker), encoding="utf-8")
            page.wait_for_function(
                "m => { const f = document.getElementById('pv-frame').contentDocument;"
                " return f && f.body && f.body.textContent.includes(m); }",
                arg=marker,
                polling="raf",
                timeout=10_000,
            )
            times.append(time.perf_counter() - t0)
            time.sleep(0.3)
        browser.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="200,2000", help="comma-separated unit counts")
    ap.add_argument("--big", action="store_true", help="also 20,000 units (minutes of CPU)")
    ap.add_argument("--repeat", type=int, default=1, help="median of this many runs")
    ap.add_argument("--keep", type=Path, help="keep the generated courses and outputs here")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--code", type=Path, default=ROOT, help="run the coursepack checkout found here")
    ap.add_argument("--serve", type=int, metavar="N", help="time serve's edit -> reload (N edits)")
    ap.add_argument(
        "--targets",
        default="all",
        help="comma-separated targets to build (default all: every target and the report); e.g. "
        "olx,scorm12,scorm2004,cmi5,moodle-questions,competences to leave the handbook out",
    )
    args = ap.parse_args()
    if args.serve:
        bench_serve(args.serve)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()] + ([20000] if args.big else [])
    work = Path(args.keep or tempfile.mkdtemp(prefix="coursepack-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for units in sizes:
        results.append(bench(units, args.repeat, work, sys.executable, args.code.resolve(), args.targets))
        print(f"{units} units done", file=sys.stderr)
    text = (
        f"Machine: {machine()}; targets: {args.targets}; CPU = user+sys of all processes; "
        f"median of {args.repeat}.\n\n"
    ) + table(
        results
    )
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
