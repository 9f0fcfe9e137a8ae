"""The classroom under load: `minimod serve` on localhost, N students at once over websockets.

`python -m benchmarks.serve [--sessions 20]` prints the figures alone; `python -m benchmarks --only
serve` puts them in the benchmark table. What it does, as a class would:

- starts `minimod serve --inspect convnet` in its own process, with an empty numba cache of its own;
- one student opens a tab and presses f (forward) and b (backward): the cold case, which compiles
  minimod's kernels into the shared cache; then a second does the same: the warm case;
- then `--sessions` students connect at once, as textual.js does (the page's websocket, stdin as
  ["stdin", keys]); each waits for the app's first frame, presses f, waits for "forward: output", then
  b and "backward: output"; every session's memory (PSS of its processes, so shared libraries count
  once) is read from /proc while all are open; the server must still answer afterwards.

The Student and ServerProcess here are what the classroom tests drive too (tests/classroom).
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from inspector.classroom.memory import process_tree, session_memory_mb

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
SESSIONS = 20
FIRST_FRAME = "minimod inspector"  # the header's title: in the first frame the inspector paints
# an escape sequence: CSI (parameters, final letter), OSC (ended by BEL or ESC \), or ESC and one byte
_ESCAPE = re.compile(r"\x1b(?:\[([0-?]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\^_])")
_TOKENS = re.compile(_ESCAPE.pattern + r"|[^\x1b]+")


def free_port() -> int:
    """A TCP port free on localhost now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`python -m minimod serve ...` in a child process, on a free localhost port; its output in a file."""

    def __init__(self, data_dir: Path, *arguments: str, numba_cache: Path | None = None,
                 port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": python_path, "COLUMNS": "200"}  # COLUMNS: log lines unwrapped
        if numba_cache is not None:
            env["NUMBA_CACHE_DIR"] = str(numba_cache)
        command = [sys.executable, "-m", "minimod", "serve", "--port", str(self.port),
                   "--data-dir", str(data_dir), *arguments]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the server accepts connections; its log in the error if it stopped or never did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped (exit {self.process.returncode}):\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not listen within {timeout:.0f} s:\n{self.log()}")

    def wait_for_log(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Wait until the server's log has a line matching `pattern`; the match."""
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.log())):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server never logged {pattern!r}:\n{self.log()}")
            time.sleep(0.1)
        return found

    def teacher_key(self) -> str:
        found = re.search(r"/sessions\?key=([A-Za-z0-9_-]+)", self.log())
        if not found:
            raise RuntimeError(f"the server printed no /sessions address:\n{self.log()}")
        return found.group(1)

    def session_pids(self) -> list[int]:
        """The process of every open session: the server's direct children."""
        return [pid for pid in process_tree(self.process.pid)[1:] if _parent(pid) == self.process.pid]

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl+C's signal (SIGTERM here), then wait; killed if it does not stop in `timeout` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"the server did not stop within {timeout:.0f} s:\n{self.log()}") from None
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        self.wait_ready()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class Screen:
    """The text a terminal shows, as far as Textual's output needs: it draws each line after a cursor move
    (CSI row;col H) and clears with CSI J and K; colours and modes (CSI m, h, l) change no text."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]
        self.row = self.column = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""  # an escape sequence cut in two by the end of a websocket message

    def feed(self, data: bytes) -> None:
        text = self.pending + self.decoder.decode(data)
        self.pending = ""
        cut = text.rfind("\x1b")
        if cut != -1 and not _ESCAPE.match(text, cut):  # the rest of it comes with the next message
            text, self.pending = text[:cut], text[cut:]
        for token in _TOKENS.finditer(text):
            if token.group(2) is not None:
                numbers = [int(number) if number.isdigit() else 0 for number in token.group(1).split(";")]
                self._control(token.group(2), numbers)
            elif not token.group(0).startswith("\x1b"):
                self._write(token.group(0))

    def _control(self, final: str, numbers: list[int]) -> None:
        first = numbers[0] if numbers and numbers[0] else 1
        if final in "Hf":
            self.row = first - 1
            self.column = (numbers[1] if len(numbers) > 1 and numbers[1] else 1) - 1
        elif final in "ABCD":
            self.row += {"A": -first, "B": first}.get(final, 0)
            self.column += {"C": first, "D": -first}.get(final, 0)
        elif final == "J" and numbers[0] == 2:
            self.rows = [[" "] * self.width for _ in range(self.height)]
        elif final == "K" and 0 <= self.row < self.height:
            self.rows[self.row][self.column:] = [" "] * (self.width - self.column)

    def _write(self, text: str) -> None:
        for character in text:
            if character == "\r":
                self.column = 0
            elif character == "\n":
                self.row += 1
            elif character >= " ":
                if 0 <= self.row < self.height and 0 <= self.column < self.width:
                    self.rows[self.row][self.column] = character
                self.column += 1

    def text(self) -> str:
        return "\n".join("".join(row).rstrip() for row in self.rows)


@dataclass
class Student:
    """One browser tab of one student, spoken to as textual.js speaks to the server."""

    http: aiohttp.ClientSession
    base_url: str
    name: str
    key: str = ""
    websocket: aiohttp.ClientWebSocketResponse | None = None
    screen: Screen = field(default_factory=lambda: Screen(*SIZE))
    connected_at: float = 0.0
    closed: bool = False

    async def enrol(self) -> int:
        """Open the page as the student; a new name is sent on to its address with a key. The status."""
        async with self.http.get(self.base_url + "/", params={"student": self.name}) as response:
            await response.read()
            found = re.search(r"[?&]key=([A-Za-z0-9_-]+)", str(response.url))
            if found:
                self.key = found.group(1)
            return response.status

    async def connect(self, width: int = SIZE[0], height: int = SIZE[1]) -> None:
        self.screen = Screen(width, height)
        ws_url = self.base_url.replace("http", "ws", 1) + f"/ws/{self.name}/{self.key}"
        self.connected_at = time.monotonic()
        self.websocket = await self.http.ws_connect(f"{ws_url}?width={width}&height={height}")
        await self.websocket.send_str(json.dumps(["resize", {"width": width, "height": height}]))

    async def press(self, keys: str) -> None:
        assert self.websocket is not None
        await self.websocket.send_str(json.dumps(["stdin", keys]))

    async def wait_for(self, text: str, timeout: float = 60.0) -> float:
        """Read the app's output until the screen shows `text`; the seconds it took."""
        assert self.websocket is not None
        started = time.monotonic()
        deadline = started + timeout
        while text not in self.screen.text():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                raise TimeoutError(f"{self.name}: {text!r} not shown within {timeout:.0f} s"
                                   f"{' (the session closed)' if self.closed else ''}; the screen:\n"
                                   f"{self.screen.text()}")
            try:
                message = await asyncio.wait_for(self.websocket.receive(), remaining)
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                self.screen.feed(message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                self.closed = True
        return time.monotonic() - started

    async def wait_closed(self, timeout: float = 30.0) -> bool:
        """Read on until the server closes the session; False if it is still open after `timeout`."""
        with contextlib.suppress(TimeoutError):
            await self.wait_for("\x00never drawn\x00", timeout)
        return self.closed

    async def press_and_wait(self, keys: str, text: str, timeout: float = 60.0) -> float:
        """Press `keys`, then wait for the screen to show `text` (not shown before): the answer's time."""
        await self.press(keys)
        return await self.wait_for(text, timeout)

    async def close(self) -> None:
        if self.websocket is not None:
            await self.websocket.close()


@dataclass
class SessionFigures:
    first_paint: float  # seconds from opening the websocket to the first frame drawn
    forward: float  # seconds from pressing f to the forward's report drawn
    backward: float
    memory_mb: float | None = None


async def forward_and_backward(student: Student) -> SessionFigures:
    """Open one session, wait for its first frame, press f then b and wait for each answer."""
    await student.enrol()
    await student.connect()
    await student.wait_for(FIRST_FRAME, timeout=120)
    paint = time.monotonic() - student.connected_at
    forward = await student.press_and_wait("f", "forward: output", timeout=120)
    backward = await student.press_and_wait("b", "backward: output", timeout=120)
    return SessionFigures(paint, forward, backward)


async def _class_at_once(server: ServerProcess, sessions: int) -> tuple[list[SessionFigures], float]:
    """`sessions` students at once; memory read while every session is still open. And the wall time."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        students = [Student(http, server.url, f"student-{number:02d}") for number in range(sessions)]
        figures = await asyncio.gather(*(forward_and_backward(student) for student in students))
        pids = server.session_pids()
        memory = [session_memory_mb(pid) for pid in pids]
        for figure, megabytes in zip(figures, memory):
            figure.memory_mb = megabytes
        if len(pids) != sessions:
            raise RuntimeError(f"{len(pids)} session processes for {sessions} open sessions")
        await asyncio.gather(*(student.close() for student in students))
    return list(figures), time.monotonic() - started


async def _one(server: ServerProcess, name: str) -> SessionFigures:
    async with aiohttp.ClientSession() as http:
        student = Student(http, server.url, name)
        figures = await forward_and_backward(student)
        pids = server.session_pids()
        figures.memory_mb = session_memory_mb(pids[0]) if pids else None
        await student.close()
        return figures


@dataclass
class LoadReport:
    cold: SessionFigures  # the first session, its kernels compiled into the empty shared cache
    warm: SessionFigures  # the second, alone, with the cache the first filled
    crowd: list[SessionFigures]
    wall: float  # seconds for the whole crowd: connect, paint, f, b
    server_answers: bool  # the landing page still served after the crowd left


def load_test(sessions: int = SESSIONS, folder: Path | None = None) -> LoadReport:
    """The whole run (see the module's docstring); raises if any session does not answer."""
    with tempfile.TemporaryDirectory(prefix="minimod-serve-bench-") as scratch:
        base = folder or Path(scratch)
        server = ServerProcess(base / "class", "--inspect", "convnet", "--max-sessions", str(sessions),
                               numba_cache=base / "numba_cache")
        with server:
            cold = asyncio.run(_one(server, "first"))
            warm = asyncio.run(_one(server, "second"))
            crowd, wall = asyncio.run(_class_at_once(server, sessions))
            answers = _landing_answers(server.url) and server.process.poll() is None
        return LoadReport(cold, warm, crowd, wall, answers)


def _landing_answers(url: str) -> bool:
    async def get() -> bool:
        async with aiohttp.ClientSession() as http, http.get(url + "/") as response:
            return response.status == 200 and "minimod classroom" in await response.text()

    return asyncio.run(get())


def _seconds(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s, slowest {max(values):.2f} s"


def describe(report: LoadReport) -> list[str]:
    crowd = report.crowd
    memory = [figure.memory_mb for figure in crowd if figure.memory_mb is not None]
    lines = [
        f"first session, empty numba cache: first paint {report.cold.first_paint:.2f} s, "
        f"f answered in {report.cold.forward:.2f} s, b in {report.cold.backward:.2f} s",
        f"second session, cache warm: first paint {report.warm.first_paint:.2f} s, "
        f"f answered in {report.warm.forward:.2f} s, b in {report.warm.backward:.2f} s",
        f"{len(crowd)} sessions at once, all answered f and b in {report.wall:.1f} s; server up afterwards: "
        f"{'yes' if report.server_answers else 'NO'}",
        f"  first paint: {_seconds([figure.first_paint for figure in crowd])}",
        f"  f answered:  {_seconds([figure.forward for figure in crowd])}",
        f"  b answered:  {_seconds([figure.backward for figure in crowd])}",
    ]
    if memory:
        lines.append(f"  memory per session (PSS): median {statistics.median(memory):.0f} MB, largest "
                     f"{max(memory):.0f} MB, {sum(memory):.0f} MB for all {len(memory)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS, help=f"students at once ({SESSIONS})")
    args = parser.parse_args(argv)
    print("\n".join(describe(load_test(args.sessions))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
