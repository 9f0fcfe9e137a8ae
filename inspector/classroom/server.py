"""The classroom server: textual-serve's Server, one app process per browser tab, one student per session.

textual-serve does the serving: the page with xterm.js, the websocket, one process per websocket that
runs a command under its web driver. What it leaves to an application, and this file adds:

- a landing page that asks for a name, and a page per student (?student=ana&key=...) whose websocket
  (/ws/ana/KEY) starts that student's own process: MINIMOD_DATA_DIR and the working folder are the
  student's folder, so lesson progress and exercise files are kept apart and survive a restart;
- one numba cache (NUMBA_CACHE_DIR) for every session, so only the first compiles;
- limits: at most `max_sessions` at once (the next browser gets a page saying the class is full), a
  session idle for `idle_timeout` seconds is closed (the page offers to start again), a student's new tab
  replaces their older one; and each session's memory and first paint, logged and shown on /sessions.

Why subclasses at all: Server's /ws handler builds its AppService from one fixed command, so a session
cannot know its student; the subclass adds the /ws/{student}/{key} route and builds that command.
StudentSession (an AppService) only notes the times of input and output; it reads the process id from
AppService's `_process`, which is why pyproject pins textual-serve below 1.2.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from inspector.classroom.memory import session_memory_mb
from inspector.classroom.students import Roll, StudentNameError, student_name
from inspector.resources import asset_path

log = logging.getLogger("minimod.classroom")

# Textual's first frame is several KB of escape codes; the setup codes before it are a few dozen bytes.
FIRST_FRAME_BYTES = 1024
STOP_WAIT = 10.0  # seconds a session's process gets to quit before it is killed


@dataclass
class Classroom:
    """What `minimod serve` was asked to serve, and how."""

    app_arguments: list[str]  # after `python -m minimod`: ["lessons"] or ["inspect", TARGET, ...]
    what: str  # "the lessons" or "the inspector on convnet": for the page and the log
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 30
    idle_timeout: float = 1800.0  # seconds; 0 never closes an idle session
    numba_cache_dir: Path | None = None  # None: data_dir / "numba_cache"
    python_path: list[str] = field(default_factory=list)  # folders the app imports a teacher's model from

    @property
    def numba_cache(self) -> Path:
        return self.numba_cache_dir or self.data_dir / "numba_cache"

    @property
    def local_only(self) -> bool:
        """True when only this machine can connect (a loopback address)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class StudentSession(AppService):
    """One browser tab's app process, for one student; notes when it painted and when it was last used."""

    def __init__(self, student: str, command: str, websocket: web.WebSocketResponse, **options: Any) -> None:
        super().__init__(command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                         close=websocket.close, **options)
        self.student = student
        self.websocket = websocket
        self.started = time.monotonic()
        self.last_input = self.started
        self.first_paint: float | None = None  # seconds from the start to the first frame sent
        self.output_bytes = 0
        self.memory_mb: float | None = None
        self.peak_memory_mb: float | None = None
        self.closed_because = "the browser left"

    @property
    def pid(self) -> int | None:
        process = self._process  # AppService keeps its process private; see the module's docstring
        return process.pid if process is not None else None

    def idle_for(self, now: float) -> float:
        """Seconds since the student last pressed a key or moved the mouse, counted from the first frame:
        a session still starting (every student of a class arriving at once, on a busy server) is not idle."""
        if self.first_paint is None:
            return 0.0
        return now - max(self.last_input, self.started + self.first_paint)

    async def send_bytes(self, data: bytes) -> bool:
        self.last_input = time.monotonic()  # keys and mouse: the student is there
        return await super().send_bytes(data)

    async def on_data(self, payload: bytes) -> None:
        self.output_bytes += len(payload)
        if self.first_paint is None and self.output_bytes >= FIRST_FRAME_BYTES:
            self.first_paint = time.monotonic() - self.started
        await super().on_data(payload)

    def measure(self) -> float | None:
        pid = self.pid
        self.memory_mb = session_memory_mb(pid) if pid is not None else None
        if self.memory_mb is not None:
            self.peak_memory_mb = max(self.peak_memory_mb or 0.0, self.memory_mb)
        return self.memory_mb

    async def close(self, because: str) -> None:
        """Close the tab's websocket; the handler then stops the process (see ClassroomServer)."""
        self.closed_because = because
        await self.websocket.close()

    async def stop(self) -> None:
        """AppService.stop, bounded: a process that does not quit in STOP_WAIT seconds is killed."""
        process = self._process
        try:
            await asyncio.wait_for(asyncio.shield(super().stop()), STOP_WAIT)
            if process is not None:  # reap it here, or its pipes are closed only after the loop is gone
                await asyncio.wait_for(process.wait(), STOP_WAIT)
        except TimeoutError:
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()

    def describe(self) -> str:
        paint = f"{self.first_paint:.2f} s" if self.first_paint is not None else "not yet"
        memory = f"{self.memory_mb:.0f} MB" if self.memory_mb is not None else "unknown"
        peak = f"{self.peak_memory_mb:.0f} MB" if self.peak_memory_mb is not None else "unknown"
        now = time.monotonic()
        return (f"{self.student:<32} open {_minutes(now - self.started):>8}  "
                f"idle {_minutes(self.idle_for(now)):>8}  first paint {paint:>8}  "
                f"memory {memory:>7} (peak {peak})")


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class ClassroomServer(Server):
    """textual-serve's Server for a class: see the module's docstring."""

    def __init__(self, classroom: Classroom) -> None:
        super().__init__(
            command=classroom.what,  # Server's own /ws route is not used: each session builds its command
            host=classroom.host,
            port=classroom.port,
            title=f"minimod classroom: {classroom.what}",
            templates_path=asset_path("classroom"),
        )
        self.classroom = classroom
        self.roll = Roll(classroom.data_dir / "students")
        self.sessions: set[StudentSession] = set()
        self.teacher_key = secrets.token_urlsafe(12)
        self._watch: asyncio.Task[None] | None = None

    def initialize_logging(self) -> None:
        super().initialize_logging()
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # a line per request drowns the class's

    # --- pages ------------------------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()  # "/" and "/ws" call the handlers below; "/static" is textual-serve's
        app.router.add_get("/ws/{student}/{key}", self.handle_websocket, name="student-websocket")
        app.router.add_get("/sessions", self.handle_sessions, name="sessions")
        return app

    def _page(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        context = {"title": self.title, "what": self.classroom.what, "static": "/static/", **context}
        return aiohttp_jinja2.render_template(template, request, context, status=status)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        """The landing page; with ?student= the student's app page (a new name is enrolled first)."""
        typed = request.query.get("student")
        if typed is None:
            return self._page(request, "landing.html")
        try:
            name = student_name(typed)
        except StudentNameError as error:
            return self._page(request, "landing.html", 400, error=str(error), typed=typed)
        key = request.query.get("key")
        if key is None:
            key = self.roll.enrol(name)
            if key is None:
                return self._page(request, "landing.html", 403, typed=typed, error=(
                    f"Someone already works under the name {name} on this server. If that is you, open "
                    "the address you bookmarked (it holds your key); if not, choose another name."))
            log.info("%s: enrolled (folder %s)", name, self.roll.folder(name))
            raise web.HTTPFound(f"/?student={name}&key={key}")
        if not self.roll.admits(name, key):
            return self._page(request, "landing.html", 403, typed=typed, error=(
                f"This address's key does not open {name}'s work. Open the address you bookmarked, "
                "or ask your teacher (the key is in the student's folder on the server)."))
        if self._full(name):
            return self._full_page(request)
        scheme = "wss" if request.secure else "ws"
        return self._page(request, "app_index.html", student=name,
                          font_size=to_int(request.query.get("fontsize", "16"), 16),
                          websocket_url=f"{scheme}://{request.host}/ws/{name}/{key}")

    def _full(self, student: str) -> bool:
        """No place for `student`: their own open tab does not count, as a new one replaces it (a refresh)."""
        others = [session for session in self.sessions if session.student != student]
        return len(others) >= self.classroom.max_sessions

    def _full_page(self, request: web.Request) -> web.Response:
        return self._page(request, "full.html", 503, max_sessions=self.classroom.max_sessions)

    async def handle_sessions(self, request: web.Request) -> web.Response:
        """/sessions?key=TEACHER: every open session with its first paint and memory, as text."""
        if not secrets.compare_digest(request.query.get("key", ""), self.teacher_key):
            raise web.HTTPForbidden(text="open the /sessions address the server printed when it started")
        return web.Response(text=self.report() + "\n")

    def report(self) -> str:
        sessions = sorted(self.sessions, key=lambda session: session.student)
        for session in sessions:
            session.measure()
        memory = [session.memory_mb for session in sessions if session.memory_mb is not None]
        lines = [f"{len(sessions)} of {self.classroom.max_sessions} sessions open; "
                 f"{sum(memory):.0f} MB in all (PSS: shared libraries counted once)"]
        return "\n".join(lines + [session.describe() for session in sessions])

    # --- sessions ---------------------------------------------------------------------------------

    def session_command(self, folder: Path) -> str:
        """The shell command of one session: the app, started in the student's folder with its data there.

        Every part is quoted; the only part that came from a browser is the folder's name, which
        student_name has already limited to [a-z0-9_-].
        """
        # an empty entry in PYTHONPATH would mean the working folder, the student's: none is left in
        python_path = [*self.classroom.python_path, *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
        environment = {
            "MINIMOD_DATA_DIR": str(folder),
            "NUMBA_CACHE_DIR": str(self.classroom.numba_cache),
            "PYTHONPATH": os.pathsep.join(entry for entry in python_path if entry),
        }
        # -P: the student's folder (the working folder) is not put on the import path
        program = [sys.executable, "-P", "-m", "minimod", *self.classroom.app_arguments]
        settings = [f"{name}={value}" for name, value in environment.items()]
        return f"cd {shlex.quote(str(folder))} && exec env {shlex.join(settings + program)}"

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab's session: check the student and the limit, start the student's process, relay."""
        name, key = request.match_info.get("student", ""), request.match_info.get("key", "")
        if not self.roll.admits(name, key):
            raise web.HTTPForbidden(text="open this class's page first: it names the student")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self._full(name):
            log.warning("%s: turned away, the class is full (%d sessions)", name, len(self.sessions))
            await websocket.send_bytes(b"\x1b[2J\x1b[HThe class is full: ask your teacher, then reload.\r\n")
            await websocket.close()
            return websocket
        folder = self.roll.folder(name)
        session = StudentSession(name, self.session_command(folder), websocket,
                                 download_manager=self.download_manager, debug=self.debug)
        older = [other for other in self.sessions if other.student == name]
        self.sessions.add(session)
        for other in older:
            await other.close("the student opened a new tab")
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        log.info("%s: session opened (%d of %d)", name, len(self.sessions), self.classroom.max_sessions)
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            pass
        except Exception:  # one session's failure must not stop the class: log it, close that tab
            log.exception("%s: session failed", name)
        finally:
            self.sessions.discard(session)
            session.measure()
            await session.stop()
            await websocket.close()
            log.info("%s: session closed (%s) after %s; first paint %s, peak memory %s",
                     name, session.closed_because, _minutes(time.monotonic() - session.started),
                     f"{session.first_paint:.2f} s" if session.first_paint is not None else "never",
                     f"{session.peak_memory_mb:.0f} MB" if session.peak_memory_mb is not None else "unknown")
        return websocket

    async def watch(self) -> None:
        """Every few seconds: measure each session's memory, and close the ones idle for too long."""
        timeout = self.classroom.idle_timeout
        tick = min(10.0, timeout / 4) if timeout > 0 else 10.0
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for session in list(self.sessions):
                session.measure()
                if timeout > 0 and session.idle_for(now) > timeout:
                    log.info("%s: idle for %s, closing", session.student, _minutes(session.idle_for(now)))
                    await session.close(f"idle for more than {_minutes(timeout)}")

    # --- start and stop ---------------------------------------------------------------------------

    async def on_startup(self, app: web.Application) -> None:
        self.classroom.numba_cache.mkdir(parents=True, exist_ok=True)
        self.roll.root.mkdir(parents=True, exist_ok=True)
        self._watch = asyncio.create_task(self.watch())
        for line in self.startup_lines():
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)

    def startup_lines(self) -> list[str]:
        classroom = self.classroom
        host = "127.0.0.1" if classroom.host in ("", "0.0.0.0", "::") else classroom.host
        address = f"http://{f'[{host}]' if ':' in host else host}:{classroom.port}/"  # [::1]:8000
        if classroom.local_only:
            reach = (f"Only this machine can connect (--host {classroom.host}); to serve students on "
                     "other machines, pass --host with this machine's address or 0.0.0.0.")
        else:
            reach = (f"Listening on {classroom.host or 'every interface'}, as you asked with --host: anyone "
                     f"who can reach this machine on port {classroom.port} can open a session. Sessions run "
                     "as your user and run the Python students write: serve only on a network you trust.")
        idle = (f"idle sessions close after {_minutes(classroom.idle_timeout)}" if classroom.idle_timeout > 0
                else "idle sessions stay open")
        return [
            f"minimod classroom: serving {classroom.what} at {address}",
            reach,
            f"Students open that address (this machine's name or address in place of 127.0.0.1) and type "
            f"their name; their work is kept in {self.roll.root}.",
            f"At most {classroom.max_sessions} session{'s' if classroom.max_sessions != 1 else ''} at once; "
            f"{idle}; "
            f"numba cache {classroom.numba_cache}.",
            f"Sessions, first paint and memory: {address}sessions?key={self.teacher_key}",
            "Press Ctrl+C to stop the server.",
        ]

    async def on_shutdown(self, app: web.Application) -> None:
        if self._watch is not None:
            self._watch.cancel()
        for session in list(self.sessions):
            with contextlib.suppress(Exception):
                await session.close("the server stopped")
