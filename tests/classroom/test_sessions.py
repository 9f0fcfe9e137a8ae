"""The classroom over websockets, as textual.js speaks to it: students kept apart, work kept across a
refresh and a restart, names and keys checked, the class-full page, idle sessions closed, a few
students at once each pressing f and b."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import time
from pathlib import Path

import aiohttp
import pytest

from benchmarks.serve import FIRST_FRAME, ServerProcess, Student, forward_and_backward


def _progress(server, name: str) -> dict:
    return json.loads((server.data_dir / "students" / name / "progress.json").read_text())["lessons"]


async def _two_students_at_once(url: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as http:
        ana, bo = Student(http, url, "ana"), Student(http, url, "bo")
        for student in (ana, bo):
            assert await student.enrol() == 200 and student.key
            await student.connect()
        await asyncio.gather(ana.wait_for("minimod lessons"), bo.wait_for("minimod lessons"))
        await ana.press("\r")  # lesson 1
        await bo.press("\x1b[B")  # down: lesson 2
        await bo.press("\r")
        await asyncio.gather(ana.wait_for("Step 1 of 6"), bo.wait_for("Step 1 of 5"))
        await asyncio.gather(ana.press_and_wait("r", "1/6 steps"),  # ana runs step 1 of lesson 1
                             bo.press_and_wait("n", "Step 2/5"))  # bo goes on to step 2 of lesson 2
        await asyncio.gather(ana.close(), bo.close())
        return {"ana": ana.key, "bo": bo.key}


async def _lesson_lists_of(url: str, keys: dict[str, str]) -> list[str]:
    """What each student's lesson list shows when they open their address again (a bookmark)."""
    async with aiohttp.ClientSession() as http:
        students = [Student(http, url, name, key) for name, key in keys.items()]
        for student in students:
            await student.connect()
        await asyncio.gather(*(student.wait_for("13. From minimod to PyTorch") for student in students))
        await asyncio.gather(*(student.close() for student in students))
        return [student.screen.text() for student in students]


def _summary_of_lesson_1(lesson_list: str) -> str:
    """The progress line under lesson 1 in the lesson list."""
    lines = lesson_list.splitlines()
    [title] = [number for number, line in enumerate(lines) if "1. Your first Module" in line]
    return lines[title + 1]


def test_two_students_at_once_keep_separate_progress_and_find_it_after_a_restart(start_server, tmp_path):
    server = start_server()
    keys = asyncio.run(_two_students_at_once(server.url))

    ana, bo = _progress(server, "ana"), _progress(server, "bo")
    assert list(ana) == ["01_first_module"] and ana["01_first_module"]["steps_done"] == [0]
    assert list(bo) == ["02_parameters_and_buffers"] and bo["02_parameters_and_buffers"]["step"] == 1
    assert bo["02_parameters_and_buffers"]["steps_done"] == []
    # each student's exercise file is made in their own folder
    assert (server.data_dir / "students" / "ana" / "workspace" / "01_first_module" / "exercise.py").exists()
    assert not (server.data_dir / "students" / "bo" / "workspace" / "01_first_module").exists()

    server.stop()  # (a refresh without a restart: tests/classroom/test_browser.py)
    restarted = start_server(data_dir=server.data_dir)
    ana_list, bo_list = asyncio.run(_lesson_lists_of(restarted.url, keys))
    assert "1/6 steps, 0/3 questions" in _summary_of_lesson_1(ana_list)
    assert "0/6 steps, 0/3 questions" in _summary_of_lesson_1(bo_list)


async def _crowd_and_one_more(server, sessions: int) -> dict:
    async with aiohttp.ClientSession() as http:
        students = [Student(http, server.url, f"s{number}") for number in range(sessions)]
        figures = await asyncio.gather(*(forward_and_backward(student) for student in students))
        async with http.get(f"{server.url}/sessions", params={"key": server.teacher_key()}) as response:
            report = await response.text()
        late = Student(http, server.url, "late")
        full_status = await late.enrol()  # enrolled, then sent to a page that says the class is full
        async with http.get(f"{server.url}/", params={"student": "late", "key": late.key}) as response:
            full_page = await response.text()
        await late.connect()  # a tab that was opened before the class filled up
        await late.wait_for("The class is full")
        late_closed = await late.wait_closed()
        # s0 opens a second tab (a refresh): the class is full, but the new tab takes the old one's place
        again = Student(http, server.url, "s0", students[0].key)
        async with http.get(f"{server.url}/", params={"student": "s0", "key": again.key}) as response:
            again_status = response.status
        await again.connect()
        await again.wait_for(FIRST_FRAME, timeout=120)
        old_tab_closed = await students[0].wait_closed()
        await again.close()
        for _ in range(100):  # the server notices the closed tab
            async with http.get(f"{server.url}/", params={"student": "late", "key": late.key}) as response:
                if response.status == 200:
                    break
            await asyncio.sleep(0.1)
        return {"figures": figures, "report": report, "full_status": full_status, "full_page": full_page,
                "late_closed": late_closed, "again_status": again_status,
                "old_tab_closed": old_tab_closed, "status_after_one_left": response.status}


def test_a_few_students_at_once_each_press_f_and_b_the_next_is_told_the_class_is_full(start_server):
    """...and a student's new tab (a refresh) still gets in, in place of their old one."""
    server = start_server("--inspect", "convnet", "--max-sessions", "3")
    seen = asyncio.run(_crowd_and_one_more(server, 3))

    assert len(seen["figures"]) == 3  # each one's f and b drew their reports (forward_and_backward)
    assert all(figure.first_paint > 0 and figure.forward > 0 for figure in seen["figures"])
    report = seen["report"].splitlines()
    assert report[0].startswith("3 of 3 sessions open;")
    assert sorted(line.split()[0] for line in report[1:]) == ["s0", "s1", "s2"]
    assert all(re.search(r"first paint +\d+\.\d\d s +memory +\d+ MB", line) for line in report[1:])
    assert seen["full_status"] == 503 and "All 3 places on this server are in use" in seen["full_page"]
    assert seen["late_closed"]
    assert seen["again_status"] == 200 and seen["old_tab_closed"]
    assert seen["status_after_one_left"] == 200
    assert server.process.poll() is None
    server.wait_for_log(r"s0: session closed \(the student opened a new tab\) after \S+; "
                        r"first paint \d+\.\d\d s, peak memory \d+ MB")


@pytest.fixture(scope="module")
def idle_class(tmp_path_factory):
    """A lessons server that closes a session after 3 s without a key press."""
    cache = os.environ.get("NUMBA_CACHE_DIR")
    server = ServerProcess(tmp_path_factory.mktemp("class"), "--idle-timeout", "0.05",
                           numba_cache=Path(cache) if cache else None)
    with server:
        yield server


async def _left_idle(url: str) -> tuple[Student, float]:
    async with aiohttp.ClientSession() as http:
        student = Student(http, url, "dozy")
        await student.enrol()
        await student.connect()
        await student.wait_for("minimod lessons")
        started = time.monotonic()
        await student.wait_closed(timeout=20)
        return student, time.monotonic() - started


def test_an_idle_session_is_closed(idle_class):
    student, waited = asyncio.run(_left_idle(idle_class.url))
    assert student.closed and waited < 15
    idle_class.wait_for_log(r"dozy: session closed \(idle for more than 0m03s\)")


async def _status_and_text(url: str, **query: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url + "/", params=query) as response:
        return response.status, html.unescape(await response.text())


async def _websocket_status(url: str) -> int:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url):
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status


def test_what_a_browser_sends_is_checked_before_it_names_a_folder(idle_class):
    url, students = idle_class.url, idle_class.data_dir / "students"
    before = set(idle_class.data_dir.parent.rglob("*"))
    for typed in ("../../etc", "a/b", ".hidden", "", " ", "x" * 33, "ana\x00", "café", "C:\\temp"):
        status, page = asyncio.run(_status_and_text(url, student=typed))
        assert status == 400 and "cannot be a name here" in page, typed
    assert set(idle_class.data_dir.parent.rglob("*")) == before  # no file or folder made, anywhere

    status, _page = asyncio.run(_status_and_text(url, student="Ana"))  # enrols ana, sends her on with a key
    assert status == 200 and (students / "ana" / "key").stat().st_mode & 0o077 == 0
    status, page = asyncio.run(_status_and_text(url, student="ana"))  # someone else types "ana"
    assert status == 403 and "Someone already works under the name ana" in page
    status, page = asyncio.run(_status_and_text(url, student="ana", key="A" * 24))
    assert status == 403 and "does not open ana's work" in page
    ws = url.replace("http", "ws", 1)
    assert asyncio.run(_websocket_status(f"{ws}/ws/ana/{'A' * 24}")) == 403
    assert asyncio.run(_websocket_status(f"{ws}/ws/..%2F..%2Fetc/{'A' * 24}")) in (403, 404)
    assert asyncio.run(_websocket_status(f"{ws}/ws")) == 403  # textual-serve's own route starts nothing
