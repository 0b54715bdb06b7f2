"""A real LRS (Ralph) behind a small cmi5 LMS, for running the cmi5 AUs in Chromium.

Ralph (``ralph-malph`` from PyPI, France Université Numérique's LRS) stores and validates the
statements; it implements the xAPI Statement resource only. What cmi5 needs beside it is the LMS's
part, written here from the cmi5 spec (quartz): the one-time fetch URL that hands out the auth
token (§8.2), the ``LMS.LaunchData`` state document it writes before launch (§10), the learner
preferences agent profile (§11), the State resource the AU keeps its own document in, the
``launched`` statement (§9.3.1), and the launch URL (§8.1). Statements the AU sends to
``/xapi/statements`` are checked for the token and passed to Ralph as they are; everything the
tests assert about statements is read back from Ralph.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
LMS_USER = "lms"
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}
LMS_HOME = "https://lms.example.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RalphLRS:
    """Ralph's app (``ralph_app.py``) under uvicorn: file-system backend, one Basic-auth account."""

    def __init__(self, workdir: Path):
        import bcrypt  # Ralph's own dependency (lrs extra)

        self.password = secrets.token_urlsafe(12)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "data").mkdir(exist_ok=True)
        auth = [{
            "username": LMS_USER,
            "hash": bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(4)).decode(),
            "scopes": ["all"],
            "agent": {"account": {"homePage": LMS_HOME, "name": LMS_USER}},
        }]  # fmt: skip
        (workdir / "auth.json").write_text(json.dumps(auth), encoding="utf-8")
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_AUTH_FILE": str(workdir / "auth.json"),
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(workdir / "data"),
            "RALPH_APP_DIR": str(workdir),
        }
        self.log = (workdir / "ralph.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.browser.ralph_app:app", "--host", "127.0.0.1",
             "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/__lbheartbeat__", timeout=2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Ralph did not start; see {workdir / 'ralph.log'}") from None
                time.sleep(0.2)

    @property
    def auth(self) -> str:
        return "Basic " + base64.b64encode(f"{LMS_USER}:{self.password}".encode()).decode()

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {**XAPI_HEADERS, "Authorization": self.auth}
        if body is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def statements(self, registration: str) -> list[dict]:
        """Every statement of the registration, oldest first (by timestamp, as cmi5 orders them)."""
        out: list[dict] = []
        path = "/xAPI/statements?" + urlencode({"registration": registration, "limit": 500})
        while path:
            status, body = self.request("GET", path)
            assert status == 200, body
            page = json.loads(body)
            out.extend(page["statements"])
            more = page.get("more") or ""
            path = (
                urlsplit(more).path + ("?" + urlsplit(more).query if urlsplit(more).query else "")
                if more
                else ""
            )
        return sorted(out, key=lambda s: (s["timestamp"], s.get("stored", "")))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@dataclass
class Launch:
    """One AU session the LMS set up: what it told the AU, and where to open it."""

    url: str
    registration: str
    session: str
    activity_id: str
    publisher_id: str
    actor: dict
    launch_data: dict


@dataclass
class Cmi5LMS:
    """The LMS side of cmi5 over a folder of unpacked packages and a Ralph LRS."""

    root: Path
    lrs: RalphLRS
    base: str = ""
    state: dict[tuple[str, str, str, str], bytes] = field(default_factory=dict)
    profiles: dict[tuple[str, str], bytes] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    """fetch id → auth token not handed out yet."""
    issued: set[str] = field(default_factory=set)
    fetch_calls: list[str] = field(default_factory=list)
    fail_statements: int = 0
    """Answer this many of the next statement POSTs with 503, as an overloaded LRS would."""
    rejected: list[str] = field(default_factory=list)
    """Requests the LMS refused (bad token, writes to LMS.LaunchData…): the AU must cause none."""

    def launch(
        self,
        package: str,
        au_url: str,
        publisher_id: str,
        *,
        mode: str = "Normal",
        mastery: float | None = None,
        move_on: str = "CompletedOrPassed",
        registration: str | None = None,
        learner: str = "learner-1",
        preferences: dict | None = None,
        template: dict | None = None,
    ) -> Launch:
        """Set up a session as a cmi5 LMS does before launch; ``template`` adds to the context
        template (contextActivities lists and extensions are merged into the LMS's own)."""
        registration = registration or str(uuid.uuid4())
        session = str(uuid.uuid4())
        actor = {"objectType": "Agent", "account": {"homePage": LMS_HOME, "name": learner}}
        # LMS-made, so not the publisher id, but the same AU gets the same id every launch (§8.1)
        activity_id = f"{LMS_HOME}/activities/{uuid.uuid5(uuid.NAMESPACE_URL, publisher_id)}"
        launch_data = {
            "contextTemplate": {
                "contextActivities": {"grouping": [{"id": publisher_id, "objectType": "Activity"}]},
                "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": session},
            },
            "launchMode": mode,
            "launchMethod": "AnyWindow",
            "moveOn": move_on,
            "returnURL": f"{LMS_HOME}/course",
        }
        for key, value in (template or {}).items():
            ctx = launch_data["contextTemplate"]
            if key == "contextActivities":
                for kind, activities in value.items():
                    ctx["contextActivities"].setdefault(kind, []).extend(activities)
            elif key == "extensions":
                ctx["extensions"].update(value)
            else:
                ctx[key] = value
        if mastery is not None:
            launch_data["masteryScore"] = mastery
        agent = json.dumps(actor, sort_keys=True)
        self.state[(activity_id, agent, registration, "LMS.LaunchData")] = json.dumps(launch_data).encode()
        if preferences is not None:
            self.profiles[(agent, "cmi5LearnerPreferences")] = json.dumps(preferences).encode()
        launched = {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/launched", "display": {"en-US": "launched"}},
            "object": {"objectType": "Activity", "id": activity_id},
            "context": {
                **json.loads(json.dumps(launch_data["contextTemplate"])),
                "registration": registration,
            },
            "timestamp": _now(),
        }
        launched["context"]["contextActivities"]["category"] = [
            {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5", "objectType": "Activity"}
        ]
        status, body = self.lrs.request("POST", "/xAPI/statements", json.dumps(launched).encode())
        assert status == 200, body
        fetch_id = secrets.token_urlsafe(8)
        self.tokens[fetch_id] = secrets.token_urlsafe(16)
        params = {
            "endpoint": f"{self.base}/xapi/",
            "fetch": f"{self.base}/lms/fetch/{fetch_id}",
            "actor": json.dumps(actor),
            "registration": registration,
            "activityId": activity_id,
        }
        url = f"{self.base}/{package}/{au_url}?{urlencode(params)}"
        return Launch(url, registration, session, activity_id, publisher_id, actor, launch_data)

    def saved(self, launch: Launch, state_id: str) -> dict | None:
        key = (launch.activity_id, json.dumps(launch.actor, sort_keys=True), launch.registration, state_id)
        return json.loads(self.state[key]) if key in self.state else None

    def serve(self) -> ThreadingHTTPServer:
        lms = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet: one line per request would drown the test output."""

            def _send(self, status: int, body: bytes = b"", ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorized(self) -> bool:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic ") or header[6:] not in lms.issued:
                    lms.rejected.append(f"{self.command} {self.path}: bad or missing token")
                    self._send(401, b'{"error":"unauthorized"}')
                    return False
                return True

            def _xapi(self) -> None:
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path.startswith("/lms/fetch/") and self.command == "POST":
                    fetch_id = parts.path.rsplit("/", 1)[1]
                    lms.fetch_calls.append(fetch_id)
                    token = lms.tokens.pop(fetch_id, None)
                    if token is None:  # §8.2.3: one-time URL
                        self._send(200, b'{"error-code":"1","error-text":"already used"}')
                        return
                    lms.issued.add(token)
                    self._send(200, json.dumps({"auth-token": token}).encode())
                    return
                if not self._authorized():
                    return
                path = parts.path[len("/xapi/") :]
                if path == "statements":
                    body = self._body() if self.command in ("POST", "PUT") else None
                    if self.command == "POST" and lms.fail_statements > 0:
                        lms.fail_statements -= 1
                        self._send(503, b'{"error":"try again later"}')
                        return
                    status, answer = lms.lrs.request(self.command, "/xAPI/statements?" + parts.query, body)
                    if status >= 300:
                        lms.rejected.append(f"{self.command} statements: {status} {answer[:300]!r}")
                    self._send(status, answer)
                elif path == "activities/state":
                    agent = json.dumps(json.loads(q.get("agent", "{}")), sort_keys=True)
                    key = (q.get("activityId", ""), agent, q.get("registration", ""), q.get("stateId", ""))
                    if self.command == "GET":
                        if key in lms.state:
                            self._send(200, lms.state[key])
                        else:
                            self._send(404, b"")
                    elif key[3] == "LMS.LaunchData":  # §10: only the LMS writes it
                        lms.rejected.append(f"{self.command} LMS.LaunchData")
                        self._send(403, b"")
                    elif self.command in ("PUT", "POST"):
                        lms.state[key] = self._body()
                        self._send(204)
                    else:
                        self._send(405)
                elif path == "agents/profile" and self.command == "GET":
                    agent = json.dumps(json.loads(q.get("agent", "{}")), sort_keys=True)
                    found = lms.profiles.get((agent, q.get("profileId", "")))
                    self._send(200, found) if found is not None else self._send(404, b"")
                else:
                    lms.rejected.append(f"{self.command} {self.path}: not implemented")
                    self._send(404, b"")

            def do_GET(self) -> None:
                if self.path.startswith(("/xapi/", "/lms/")):
                    self._xapi()
                else:
                    super().do_GET()

            def do_POST(self) -> None:
                self._xapi()

            def do_PUT(self) -> None:
                self._xapi()

        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(self.root)))
        self.base = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def _now() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"
