"""A student in a real browser: headless Chromium (Debian's package) opens the class's page, types a
name, waits for the lessons to paint in xterm.js, opens lesson 1, runs its first step, and reloads the
page: the lesson list shows the step done."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.classroom.chromium import Chromium, chromium_binary

BINARY = chromium_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)"
)


async def _student_in_chromium(url: str, profile: Path, shots: Path) -> dict:
    browser = Chromium(BINARY, profile)
    try:
        await browser.connect()
        await browser.open(url + "/")
        await browser.wait_until("!!document.querySelector('#student')")
        seen = {"landing_title": await browser.evaluate("document.title"),
                "landing_text": await browser.evaluate("document.body.innerText")}
        await browser.evaluate("document.querySelector('#student').focus()")
        await browser.type_text("Ana")
        await browser.screenshot(shots / "landing.png")
        await browser.press("Enter", "Enter", "\r", 13)
        seen["list"] = await browser.wait_for_text("minimod lessons")
        seen["address"] = await browser.evaluate("location.href")
        seen["title"] = await browser.evaluate("document.title")
        await browser.evaluate("window.__terminals[0].focus()")  # as a click on the terminal does
        await browser.press("Enter", "Enter", "\r", 13)
        seen["lesson"] = await browser.wait_for_text("Step 1 of 6")
        await browser.press("r", "KeyR", "r", 82)
        seen["ran"] = await browser.wait_for_text("1/6 steps")
        await browser.screenshot(shots / "lesson1-step1-run.png")
        await browser.send("Page.reload")  # a refresh: a new session, the work still there
        seen["after_refresh"] = await browser.wait_for_text("1/6 steps, 0/3 questions")
        seen["address_after_refresh"] = await browser.evaluate("location.href")
        return seen
    finally:
        await browser.close()


def test_a_student_opens_the_lessons_in_chromium_types_and_sees_the_step_run(start_server, tmp_path):
    server = start_server()  # --lessons is the default
    seen = asyncio.run(_student_in_chromium(server.url, tmp_path / "profile", tmp_path))

    assert seen["landing_title"] == "minimod classroom: the lessons"
    assert "Your name" in seen["landing_text"] and "bookmark the page" in seen["landing_text"]
    assert "?student=ana&key=" in seen["address"]  # the name, lowercased, and the key a refresh needs
    assert seen["title"] == "ana: minimod classroom: the lessons"
    assert "1. Your first Module" in seen["list"] and "0/6 steps" in seen["list"]
    assert "Lesson 1: Your first Module" in seen["lesson"]
    assert "Step 1/6  1/6 steps" in seen["ran"]  # the status line, after r ran step 1
    assert "minimod lessons" in seen["after_refresh"] and seen["address_after_refresh"] == seen["address"]
    progress = json.loads((server.data_dir / "students" / "ana" / "progress.json").read_text())
    assert progress["lessons"]["01_first_module"]["steps_done"] == [0]

    screenshot = tmp_path / "lesson1-step1-run.png"
    image = pytest.importorskip("PIL.Image").open(screenshot)
    assert image.size[0] == 1280 and image.size[1] > 400  # the window, less its (headless) frame
    assert len(image.convert("RGB").getcolors(1 << 16) or []) > 8  # drawn text, not a blank page
    if os.environ.get("CLASSROOM_SCREENSHOTS"):  # keep them to look at
        for shot in (tmp_path / "landing.png", screenshot):
            shutil.copy(shot, Path(os.environ["CLASSROOM_SCREENSHOTS"]) / shot.name)
