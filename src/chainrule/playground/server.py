"""The playground's web app: Starlette routes, the security checks, and the Server-Sent Events stream.

Security (the app trains code on the user's machine, so a web page elsewhere must not reach it):
bound to 127.0.0.1 by default; a random token is required on every request (``?token=`` or the
``X-Playground-Token`` header); the Host header must name the address the server was started on and
an Origin header, when sent, must be that same address (DNS rebinding); request bodies are limited to
``MAX_BODY`` bytes; the page's three files are read once at start-up and served from memory, so no
request path ever reaches the file system.

>>> app = create_app(token="secret", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from importlib import resources

try:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route
except ImportError as e:  # pragma: no cover - the optional extra is missing
    raise ImportError("chainrule.playground needs Starlette and uvicorn: pip install 'chainrule[playground]'") from e

from chainrule.playground.csvdata import CsvError
from chainrule.playground.session import ConfigError, Session

__all__ = ["create_app", "MAX_BODY", "MAX_SESSIONS"]

MAX_BODY = 64 * 1024  # bytes of a request body (the controls send a few hundred)
MAX_SESSIONS = 8  # training sessions (browser tabs) at once
UPDATE_SECONDS = 0.15  # about 6-7 updates a second
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
HEADERS = {  # no outside resources, no framing, and the token never leaks through a Referer
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}


class _Guard:
    """ASGI middleware: token, Host, Origin and body-size checks before any route runs."""

    def __init__(self, app, token: str, hosts: set[str] | None):
        self.app, self.token, self.hosts = app, token, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._check(scope, headers)
        if problem is not None:
            status, message = problem
            return await JSONResponse({"error": message}, status_code=status, headers=HEADERS)(scope, receive, send)
        return await self.app(scope, _limited(receive), send)

    def _check(self, scope, headers):
        host = headers.get("host", "")
        if self.hosts is not None and host not in self.hosts:
            return 403, "forbidden host"
        origin = headers.get("origin")
        if origin is not None and (self.hosts is None and origin != f"http://{host}"
                                   or self.hosts is not None and origin not in {f"http://{h}" for h in self.hosts}):
            return 403, "forbidden origin"
        from urllib.parse import parse_qs
        given = headers.get("x-playground-token") or \
            parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return 403, "missing or wrong token: open the URL that `chainrule playground` printed"
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return 413, f"request body over {MAX_BODY} bytes"
        return None


def _limited(receive):
    """Wrap ``receive`` so that a body sent without Content-Length still stops at MAX_BODY."""
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLargeError
        return message
    return wrapped


class _TooLargeError(Exception):
    pass


def create_app(token: str, port: int, host: str = "127.0.0.1", public: bool = False):
    """Build the Starlette app.

    Args:
        token (str): the secret every request must carry.
        port (int): the port the server listens on (the Host header must name it).
        host (str): the address bound. Default: ``"127.0.0.1"``.
        public (bool): listening on all interfaces: the Host check is dropped (the token still applies).
    """
    files = {name: resources.files("chainrule.playground").joinpath("static", name).read_bytes() for name in STATIC}
    page = resources.files("chainrule.playground").joinpath("static", "index.html").read_text("utf-8")
    sessions: dict[str, Session] = {}

    async def body_json(request: Request):
        try:
            return json.loads(await request.body() or b"{}")
        except _TooLargeError:
            raise
        except ValueError:
            raise ConfigError("request body is not valid JSON") from None

    async def index(request: Request):
        return Response(page.replace("{{TOKEN}}", token), media_type="text/html", headers=HEADERS)

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in files:  # a fixed set held in memory: no path from the request is ever opened
            return JSONResponse({"error": "not found"}, status_code=404, headers=HEADERS)
        return Response(files[name], media_type=STATIC[name], headers=HEADERS)

    async def new_session(request: Request):
        config = await body_json(request)
        stale = [k for k, s in sessions.items() if s.stream_count == 0 and time.monotonic() - s.seen > 30]
        for key in stale:  # tabs that never opened their stream, or left without closing it
            sessions.pop(key, None)
        if len(sessions) >= MAX_SESSIONS:
            return JSONResponse({"error": f"too many playground tabs open (at most {MAX_SESSIONS}); close one"},
                                status_code=429, headers=HEADERS)
        session = await asyncio.to_thread(Session, config)
        session.stream_count, session.seen = 0, time.monotonic()
        sid = secrets.token_urlsafe(12)
        sessions[sid] = session
        state, points = await asyncio.to_thread(lambda: (session.snapshot(), session.points()))
        return JSONResponse({"session": sid, "state": state, "points": points}, headers=HEADERS)

    def lookup(request: Request) -> Session | None:
        return sessions.get(request.path_params["sid"])

    async def action(request: Request):
        session = lookup(request)
        if session is None:
            return JSONResponse({"error": "no such session (reload the page)"}, status_code=404, headers=HEADERS)
        session.seen = time.monotonic()
        try:
            name = request.path_params["name"]
            if name == "upload":  # the CSV text itself; parsed in memory, never written anywhere
                try:
                    text = (await request.body()).decode("utf-8")
                except UnicodeDecodeError:
                    raise ConfigError("CSV: the file is not UTF-8 text") from None
                await asyncio.to_thread(session.upload, text)
            else:
                data = await body_json(request)
            if name == "config":
                await asyncio.to_thread(session.configure, data)
            elif name == "run":
                await asyncio.to_thread(session.run)
            elif name == "pause":
                session.running = False
            elif name == "step":
                session.running = False
                await asyncio.to_thread(session.step)
            elif name == "weight":
                await asyncio.to_thread(session.set_weight, data)
            elif name == "reset":
                await asyncio.to_thread(session.reset)
            elif name == "regenerate":
                await asyncio.to_thread(session.regenerate)
            elif name != "upload":
                return JSONResponse({"error": f"unknown action {name!r}"}, status_code=404, headers=HEADERS)
        except (ConfigError, CsvError) as e:
            return JSONResponse({"error": str(e)}, status_code=400, headers=HEADERS)
        except _TooLargeError:
            return JSONResponse({"error": f"request body over {MAX_BODY} bytes"}, status_code=413, headers=HEADERS)
        # the sessions share one lock (chainrule's grad mode is process-wide): never wait for it on the event loop
        state, points = await asyncio.to_thread(lambda: (session.snapshot(), session.points()))
        return JSONResponse({"state": state, "points": points}, headers=HEADERS)

    async def export(request: Request):
        from chainrule.playground.export import python_script, safetensors_bytes

        session = lookup(request)
        if session is None or request.path_params["kind"] not in ("py", "safetensors"):
            return JSONResponse({"error": "not found"}, status_code=404, headers=HEADERS)
        if request.path_params["kind"] == "py":
            body, media, name = python_script(session).encode(), "text/x-python", "playground_network.py"
        else:
            try:
                body = await asyncio.to_thread(safetensors_bytes, session)
            except ImportError as e:
                return JSONResponse({"error": str(e)}, status_code=501, headers=HEADERS)
            media, name = "application/octet-stream", "playground_network.safetensors"
        return Response(body, media_type=media,
                        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    async def events(request: Request):
        session = lookup(request)
        if session is None:
            return JSONResponse({"error": "no such session (reload the page)"}, status_code=404, headers=HEADERS)
        sid = request.path_params["sid"]

        async def stream():
            session.stream_count += 1
            try:
                last_epoch, last_running = None, False
                while not await request.is_disconnected():
                    started = time.monotonic()
                    if session.running:
                        await asyncio.to_thread(session.train_for, UPDATE_SECONDS * 0.6)
                    state = await asyncio.to_thread(session.snapshot)
                    # one more update after a pause, so that a message sent while running is never the last one
                    if state["epoch"] != last_epoch or state["running"] or last_running:
                        last_epoch, last_running = state["epoch"], state["running"]
                        yield f"data: {json.dumps(state, separators=(',', ':'))}\n\n"
                    else:
                        yield ": idle\n\n"  # a comment line: lets a closed tab be noticed
                    await asyncio.sleep(max(0.02, UPDATE_SECONDS - (time.monotonic() - started)))
            finally:
                session.stream_count -= 1
                session.running = False
                if session.stream_count == 0:  # the tab went away: its session ends with it
                    sessions.pop(sid, None)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=HEADERS)

    routes = [
        Route("/", index), Route("/static/{name}", static),
        Route("/api/session", new_session, methods=["POST"]),
        Route("/api/session/{sid}/events", events),
        Route("/api/session/{sid}/export.{kind:str}", export),
        Route("/api/session/{sid}/{name}", action, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.sessions = sessions
    hosts = None if public else {f"{h}:{port}" for h in ({host, "localhost"} if host == "127.0.0.1" else {host})}
    return _Guard(app, token, hosts)
