"""Headless Chromium driven over its DevTools protocol (CDP), with aiohttp's websocket: no Selenium needed.

Just what the classroom's browser test needs: open a page, run JavaScript in it, type, take a screenshot.
xterm.js draws the terminal on a canvas, so the text is read from xterm's own buffer: a script that
runs before the page's keeps each Terminal that textual.js creates (`this.terminal = new Terminal(...)`)
in window.__terminals, and screen_text() reads its visible lines.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-port=0", "--window-size=1280,800",
]

# Runs before textual.js: the first assignment of `.terminal` on any object lands here, is kept, and
# from then on is an ordinary property of that object.
KEEP_TERMINALS = """
window.__terminals = [];
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active) window.__terminals.push(value);
  },
});
"""

SCREEN_TEXT = """
(() => {
  const terminal = window.__terminals[0];
  if (!terminal) return null;
  const buffer = terminal.buffer.active, lines = [];
  for (let row = 0; row < terminal.rows; row++) {
    const line = buffer.getLine(buffer.viewportY + row);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
})()
"""


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """One headless Chromium with a fresh profile, and a CDP connection to its first tab."""

    def __init__(self, binary: str, profile: Path) -> None:
        self.profile = profile
        self.process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.http: aiohttp.ClientSession | None = None
        self.page: aiohttp.ClientWebSocketResponse | None = None
        self.ids = itertools.count(1)

    async def connect(self, timeout: float = 30.0) -> None:
        """Wait for Chromium's DevTools port (it writes it into the profile), then attach to the tab."""
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit {self.process.poll()})")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        self.http = aiohttp.ClientSession()
        while True:
            async with self.http.get(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [target for target in await response.json() if target["type"] == "page"]
            if pages or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        self.page = await self.http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.send("Page.enable")
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=KEEP_TERMINALS)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One CDP command; its result (events that arrive meanwhile are skipped)."""
        assert self.page is not None
        command_id = next(self.ids)
        await self.page.send_str(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.page.receive_str())
            if message.get("id") == command_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def wait_until(self, expression: str, timeout: float = 60.0) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = await self.evaluate(expression)
            except RuntimeError:  # the page is navigating
                value = None
            if value:
                return value
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{expression!r} still false after {timeout:.0f} s")

    async def screen_text(self) -> str:
        """The terminal's visible lines (empty before textual.js has made its terminal)."""
        return await self.evaluate(SCREEN_TEXT) or ""

    async def wait_for_text(self, text: str, timeout: float = 60.0) -> str:
        """Wait until the terminal shows `text`; what it shows then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = await self.screen_text()
            if text in screen:
                return screen
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the page never showed {text!r}; it shows:\n{await self.screen_text()}")

    async def type_text(self, text: str) -> None:
        await self.send("Input.insertText", text=text)

    async def press(self, key: str, code: str, text: str = "", key_code: int = 0) -> None:
        """A key down and up, as a keyboard sends them, to the focused element."""
        down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code}
        if text:
            down.update(type="keyDown", text=text, unmodifiedText=text)
        await self.send("Input.dispatchKeyEvent", **down)
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                        windowsVirtualKeyCode=key_code)

    async def screenshot(self, path: Path) -> None:
        result = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(result["data"]))

    async def close(self) -> None:
        if self.page is not None:
            await self.page.close()
        if self.http is not None:
            await self.http.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
