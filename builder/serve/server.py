"""Run the preview: load the course, start uvicorn on loopback, open a browser if asked.

The server keeps running when the source has errors (the preview shows them); it stops on
Ctrl+C. ``Preview`` runs it in a background thread, for tests and the benchmark.
"""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from builder.serve.app import LOOPBACK, create_app
from builder.serve.site import PreviewSite


def allowed_hosts(host: str) -> tuple[str, ...]:
    """Host headers to accept: loopback names, plus ``host`` itself; any for a wildcard bind.

    Refusing other names stops a web page on another site from reaching the preview through a
    DNS name that resolves to 127.0.0.1 (DNS rebinding).
    """
    if host in ("0.0.0.0", "::", ""):
        return ("*",)
    return tuple(dict.fromkeys((*LOOPBACK, host)))


def make_server(
    src: Path, host: str = "127.0.0.1", port: int = 8000, version: str = "2004",
    log: Callable[[str], None] | None = None, lang: str | None = None,
):  # fmt: skip
    """A configured ``uvicorn.Server`` and its ``PreviewSite`` (course already loaded once)."""
    import uvicorn

    site = PreviewSite(src, lang)
    site.refresh()
    app = create_app(site, version=version, hosts=allowed_hosts(host), log=log)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2, lifespan="on", ws="none"
    )
    server = uvicorn.Server(config)
    app.state.hub.should_stop = lambda: server.should_exit
    return server, site


class PortInUse(OSError):
    """The address cannot be bound (another server, or a preview already running)."""


def check_port(host: str, port: int) -> None:
    """Fail before loading the course when the port is taken, with what to do about it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"cannot listen on {host}:{port} ({exc.strerror}); is a preview already running? "
                f"Pass another --port"
            ) from None


def serve(
    src: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
    version: str = "2004", log: Callable[[str], None] = print, lang: str | None = None,
) -> None:  # fmt: skip
    """Serve until interrupted (``coursepack serve``)."""
    check_port(host, port)
    server, site = make_server(src, host, port, version, log, lang)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    url = f"http://{shown}:{port}/"
    if site.errors:
        log(f"{len(site.errors)} error(s) in {src}; the preview shows them until they are fixed")
    shown_lang = f", in {lang}" if lang else ""
    log(f"Previewing {src} at {url} (SCORM {version}{shown_lang}); Ctrl+C stops")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Preview:
    """The server in a background thread: ``with Preview(src) as p: p.url``. Always stopped on exit."""

    def __init__(
        self, src: Path, version: str = "2004", port: int | None = None, lang: str | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server, self.site = make_server(src, "127.0.0.1", self.port, version, lang=lang)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Preview:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the preview server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __exit__(self, *exc: object) -> None:
        self.close()
