#!/usr/bin/env python3
"""Benchmark: build a generated large course and compare with the archiving floor.

The goal (issue "Foundation", §4): every target for a 2,000-unit course in at most 1.5× the time
that merely ``tar czf`` + ``zip`` of the outputs takes, within 200 MB of memory. The floor is
measured here on this machine, on the very files the build produced, so the ratio is fair.

Usage: .venv/bin/python scripts/benchmark.py [--units 2000] [--repeat 3] [--keep DIR]
       .venv/bin/python scripts/benchmark.py --serve 20

``--serve N`` measures ``coursepack serve`` instead (issue 8: a page updates within 300 ms of a save):
on a copy of the sample course, N edits of one unit file, each timed from the file write to the
server-sent ``change`` event, and to the unit's new page being received (what the preview's frame
loads next). Median and 90th percentile.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
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


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and the peak RSS (KB) of the largest process the command ran."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    return elapsed, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


def floor(dist: Path, work: Path) -> float:
    """tar czf of the OLX tree + zip -r of each SCORM tree, from extracted copies of our outputs."""
    total = 0.0
    for art in sorted(dist.iterdir()):
        tree = work / (art.name + ".d")
        if art.name.endswith(".tar.gz"):
            with tarfile.open(art) as t:
                t.extractall(tree, filter="data")
            t0 = time.perf_counter()
            subprocess.run(["tar", "czf", str(work / "floor.tar.gz"), "-C", str(tree), "."], check=True)
            total += time.perf_counter() - t0
        elif art.name.endswith(".zip"):
            with zipfile.ZipFile(art) as z:
                z.extractall(tree)
            t0 = time.perf_counter()
            subprocess.run(["zip", "-qr", str(work / "floor.zip"), "."], cwd=tree, check=True)
            total += time.perf_counter() - t0
            (work / "floor.zip").unlink()
    return total


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
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="keep the generated course and outputs here")
    ap.add_argument("--serve", type=int, metavar="N", help="time serve's edit -> reload (N edits)")
    args = ap.parse_args()
    if args.serve:
        bench_serve(args.serve)
        return
    work = Path(args.keep or tempfile.mkdtemp(prefix="coursepack-bench-"))
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    generate(src, args.units)
    cli = [sys.executable, "-m", "builder.cli", "--quiet"]
    times, rss = [], 0
    for _ in range(args.repeat):
        dist = work / "dist"
        shutil.rmtree(dist, ignore_errors=True)
        t, peak = timed([*cli, "build", str(src), "--target", "all", "--out", str(dist)], ROOT)
        times.append(t)
        rss = max(rss, peak)
    arts = sorted(p for p in (work / "dist").iterdir())
    floors = [floor(work / "dist", Path(tempfile.mkdtemp(dir=work))) for _ in range(args.repeat)]
    build_s, floor_s = statistics.median(times), statistics.median(floors)
    print(f"units: {args.units}")
    for a in arts:
        print(f"  {a.name}: {a.stat().st_size / 1e6:.1f} MB")
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"build --target all (median of {args.repeat}): {build_s:.2f} s  runs: {runs}")
    print(f"floor tar czf + zip -r (median): {floor_s:.2f} s")
    print(f"ratio build / floor: {build_s / floor_s:.2f}x (goal <= 1.5x)")
    print(f"peak RSS of the largest process: {rss / 1024:.0f} MB (goal <= 200 MB)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
