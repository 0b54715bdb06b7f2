"""``coursepack serve``: its options, the hint when the extra is missing, a real run stopped by Ctrl+C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from builder import cli
from builder.serve.server import free_port


def test_help_shows_options_and_defaults() -> None:
    out = " ".join(CliRunner().invoke(cli.main, ["serve", "--help"]).output.split())
    for text in (
        "--port",
        "default: 8000",
        "--host",
        "default: 127.0.0.1",
        "--open",
        "--scorm",
        "[2004|1.2]",
        "--lang",
    ):
        assert text in out, text


def test_missing_extra_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr("builder.serve.missing_dependencies", lambda: ["uvicorn"])
    result = CliRunner().invoke(cli.main, ["serve", "course_src"])
    assert result.exit_code == cli.EXIT_FAILED
    assert "pip install 'coursepack[serve]'" in result.output


def test_serves_on_loopback_and_stops_on_ctrl_c(course_copy: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "builder.cli", "serve", str(course_copy), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded CI machine starts Python slowly
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.1)
        assert page.status_code == 200 and "u-welcome" in page.text
        # An open event stream must not keep the server from stopping.
        with httpx.stream("GET", f"http://127.0.0.1:{port}/_preview/events", timeout=5) as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"http://localhost:{port}/" in output
    assert "Traceback" not in output


def test_a_folder_without_course_yaml_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["serve", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds no course.yaml" in result.output


def test_a_busy_port_is_a_usage_error_naming_the_fix(course_copy: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli.main, ["serve", str(course_copy), "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


def test_a_language_without_a_catalog_is_a_usage_error_naming_the_fix(course_copy: Path) -> None:
    args = ["serve", str(course_copy), "--port", str(free_port()), "--lang", "fr"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 2
    assert "no catalog for language 'fr'" in result.output
    assert "coursepack translate update --lang fr" in result.output
