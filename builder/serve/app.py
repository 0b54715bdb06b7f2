"""The preview web application (Starlette), its change feed and its file watcher.

Routes (every response is built from the loaded model or a fixed file list, never from a path
taken from the URL, so no request can reach outside the source's indexed files)::

    /                                    the shell: outline sidebar, unit frame, LMS panel
    /scorm12|scorm2004/sco/<unit>.html   a unit page, exactly as that SCORM package holds it
    /scorm12|scorm2004/shared/...        the package's runtime script, UI strings, CSS, captions
    /scorm12|scorm2004/static/<name>     a file of the course's static/ folder (by published name)
    /static/<name>                       the same, for the overview's links
    /_preview/overview | report          the course overview; the coverage report
    /_preview/outline | state            the sidebar fragment; the current findings (JSON)
    /_preview/events                     server-sent events: one ``change`` per reload
    /_preview/static/<name>              the shell's own script, stylesheet and LMS stub

The watcher (watchfiles) reloads the course off the event loop after each batch of changes and
publishes what changed to every open preview.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from builder.serve.site import VERSIONS, Change, PreviewSite, diagnostic_json
from builder.targets.scorm_common import caption_name, srt_to_vtt, ui_script, ui_strings
from builder.targets.scorm_runtime import runtime_script
from builder.templates import template_dir

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SHELL_FILES = {p.name: p for p in STATIC.iterdir() if p.is_file()} if STATIC.is_dir() else {}
"""The shell's own files, listed once: a name not in this table is a 404."""
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
PING_SECONDS = 15.0


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Hub:
    """Fan-out of changes to the open event streams (one asyncio queue per browser tab)."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[str | None]] = set()
        self.should_stop: Callable[[], bool] = lambda: False

    def publish(self, change: Change) -> None:
        text = change.to_json()
        for q in list(self.queues):
            q.put_nowait(text)

    def close(self) -> None:
        for q in list(self.queues):
            q.put_nowait(None)


def create_app(
    site: PreviewSite,
    version: str = "2004",
    watch: bool = True,
    hosts: tuple[str, ...] = LOOPBACK,
    log: Callable[[str], None] | None = None,
) -> Starlette:
    """The application for one loaded ``site``; ``watch`` starts the file watcher with it."""
    env = _environment()
    hub = Hub()
    prefix = {v: k for k, v in VERSIONS.items()}[version]

    def html(text: str | bytes, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=NO_STORE)

    def unavailable() -> HTMLResponse:
        page = env.get_template("unavailable.html.j2").render(
            errors=[diagnostic_json(d) for d in site.errors]
        )
        return html(page, 503)

    def state() -> dict[str, object]:
        return {
            "generation": site.generation,
            "errors": [diagnostic_json(d) for d in site.errors],
            "units": [u.id for u in site.units()],
        }

    async def shell(request: Request) -> Response:
        course = site.course
        page = env.get_template("shell.html.j2").render(
            course=course,
            title=course.title if course else site.src.name,
            version=version,
            prefix=prefix,
            outline=outline_html(),
            state=json.dumps(state(), ensure_ascii=True).replace("<", "\\u003c"),
        )
        return html(page)

    def outline_html() -> str:
        return env.get_template("outline.html.j2").render(course=site.course)

    async def outline(request: Request) -> Response:
        return html(outline_html())

    async def current_state(request: Request) -> Response:
        return JSONResponse(state(), headers=NO_STORE)

    async def overview(request: Request) -> Response:
        if site.course is None:
            return unavailable()
        return html(env.get_template("overview.html.j2").render(course=site.course))

    async def report(request: Request) -> Response:
        page = site.coverage_page()
        return unavailable() if page is None else html(page)

    async def unit(request: Request) -> Response:
        version_name = VERSIONS.get(request.path_params["version"])
        if version_name is None:
            return html("not found", 404)
        if site.course is None:
            return unavailable()
        page = await asyncio.to_thread(site.unit_page, version_name, request.path_params["unit"])
        return html("not found", 404) if page is None else html(page)

    async def shared(request: Request) -> Response:
        version_name = VERSIONS.get(request.path_params["version"])
        name = request.path_params["name"]
        if version_name is None:
            return html("not found", 404)
        if name == "coursepack.js":
            return Response(runtime_script(version_name), media_type="text/javascript", headers=NO_STORE)
        if name == "coursepack-ui.js" and site.course is not None:
            body = ui_script(ui_strings(site.course.language))
            return Response(body, media_type="text/javascript", headers=NO_STORE)
        if name == "coursepack.css":
            path = template_dir("scorm_templates") / "static" / "coursepack.css"
            return FileResponse(path, media_type="text/css", headers=NO_STORE)
        return html("not found", 404)

    async def caption(request: Request) -> Response:
        wanted = f"shared/captions/{request.path_params['name']}"
        for asset in site.course.assets if site.course else []:
            if asset.flat_name.lower().endswith(".srt") and caption_name(asset.flat_name) == wanted:
                return Response(
                    srt_to_vtt(asset.source.read_bytes()), media_type="text/vtt", headers=NO_STORE
                )
        return html("not found", 404)

    async def static(request: Request) -> Response:
        asset = site.asset(request.path_params["name"])
        if asset is None or not asset.source.is_file():
            return html("not found", 404)
        return FileResponse(asset.source, headers=NO_STORE)

    async def shell_file(request: Request) -> Response:
        path = SHELL_FILES.get(request.path_params["name"])
        if path is None:
            return html("not found", 404)
        return FileResponse(path, headers=NO_STORE)

    async def events(request: Request) -> Response:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        hub.queues.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 500\n\n"
                idle = 0.0
                while not hub.should_stop():
                    try:
                        message = await asyncio.wait_for(queue.get(), 0.5)
                    except TimeoutError:
                        idle += 0.5
                        if idle >= PING_SECONDS:
                            idle = 0.0
                            yield ": ping\n\n"
                        continue
                    if message is None:
                        break
                    yield f"event: change\ndata: {message}\n\n"
            finally:
                hub.queues.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=NO_STORE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(_watch(site, hub, stop, log)) if watch else None
        try:
            yield
        finally:
            stop.set()
            hub.close()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    routes = [
        Route("/", shell),
        Route("/_preview/outline", outline),
        Route("/_preview/state", current_state),
        Route("/_preview/overview", overview),
        Route("/_preview/report", report),
        Route("/_preview/events", events),
        Route("/_preview/static/{name}", shell_file),
        Route("/static/{name}", static),
        Route("/{version}/sco/{unit}.html", unit),
        Route("/{version}/shared/captions/{name}", caption),
        Route("/{version}/shared/{name}", shared),
        Route("/{version}/static/{name}", static),
    ]
    middleware = [] if "*" in hosts else [Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.hub = hub
    app.state.site = site
    return app


async def _watch(site: PreviewSite, hub: Hub, stop: asyncio.Event, log: Callable[[str], None] | None) -> None:
    """Reload after each batch of file changes; 30 ms of quiet ends a batch (an editor's save)."""
    from watchfiles import awatch

    async for _changes in awatch(site.src, stop_event=stop, step=30, debounce=1600):
        try:
            change = await asyncio.to_thread(site.refresh)
        except Exception as exc:  # a bug in a reader must not end live reload for the session
            if log:
                log(f"reload failed ({type(exc).__name__}: {exc}); waiting for the next change")
            continue
        hub.publish(change)
        if log:
            if change.errors:
                log(f"{len(change.errors)} error(s) in the source; the preview shows them")
            else:
                log(f"reloaded in {change.seconds * 1000:.0f} ms: {len(change.units)} page(s) changed")
