"""A real headless Chromium, driven over the DevTools protocol on a pipe (no extra package).

Chromium started with ``--remote-debugging-pipe`` reads protocol messages (JSON, each ended by
a NUL byte) on its file descriptor 3 and answers on 4. :class:`Browser` starts it with a fresh
profile and the flags that keep it off the network (it reaches only the dashboard under test),
opens one tab, and offers what the tests need: load a page, evaluate JavaScript in it, fill and
submit a form, take a PNG screenshot.

:func:`start` raises :class:`BrowserUnavailable` with the reason when no Chromium can run here;
the tests turn that into a skip that says so.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

#: what the system's package provides (Debian: chromium; others: chromium-browser)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--remote-debugging-pipe",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--font-render-hinting=none",
)


class BrowserUnavailable(Exception):
    """No Chromium could be started here; the message says why."""


class Browser:
    def __init__(
        self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int
    ) -> None:
        self._process = process
        self._out = os.fdopen(to_browser, "wb", buffering=0)
        self._in = os.fdopen(from_browser, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self._lock = threading.Lock()
        #: events received while waiting for answers, oldest first
        self._events: list[dict[str, Any]] = []
        self.session = ""

    # ---- protocol --------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, *, page: bool = True) -> Any:
        """One command; its result (raises RuntimeError with the browser's error)."""
        with self._lock:
            self._next_id += 1
            message: dict[str, Any] = {
                "id": self._next_id,
                "method": method,
                "params": params or {},
            }
            if page and self.session:
                message["sessionId"] = self.session
            self._out.write(json.dumps(message).encode() + b"\0")
            while True:
                answer = self._receive()
                if answer.get("id") == self._next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
                if "method" in answer:
                    self._events.append(answer)

    def wait_for(self, event: str) -> dict[str, Any]:
        """The next ``event`` (e.g. ``Page.loadEventFired``), received now or already queued."""
        with self._lock:
            while True:
                while self._events:
                    seen = self._events.pop(0)
                    if seen.get("method") == event:
                        return seen
                answer = self._receive()
                if "method" in answer:
                    self._events.append(answer)

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise RuntimeError(f"the browser closed its pipe (exit {self._process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        result: dict[str, Any] = json.loads(raw)
        return result

    # ---- pages -----------------------------------------------------------------------------

    def open_tab(self, width: int = 1280, height: int = 900) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        attached = self.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, page=False
        )
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def load(self, url: str) -> None:
        """Go to ``url`` and return once the page has loaded."""
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def submit(self, form_selector: str, values: dict[str, str]) -> None:
        """Fill the form's fields by name, submit it as a person would, wait for the answer."""
        script = f"""
            (() => {{
              const form = document.querySelector({json.dumps(form_selector)});
              const values = {json.dumps(values)};
              for (const [name, value] of Object.entries(values)) {{
                form.elements[name].value = value;
              }}
              form.requestSubmit();
            }})()
        """
        self._events.clear()
        self.evaluate(script)
        self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    # ---- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close", page=False)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._out.close()
        self._in.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def find_chromium() -> str:
    override = os.environ.get("STATION_CHROMIUM")
    for name in (override,) if override else CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(
        "no Chromium on this machine (looked for "
        + ", ".join((override,) if override else CANDIDATES)
        + "); install Debian's package: apt-get install chromium"
    )


def start(profile: Path | None = None) -> Browser:
    """Start a headless Chromium with an empty profile and one tab."""
    program = find_chromium()
    profile = profile or Path(tempfile.mkdtemp(prefix="station-chromium-"))
    to_read, to_write = os.pipe()  # we write, the browser reads (its fd 3)
    from_read, from_write = os.pipe()  # the browser writes (its fd 4), we read
    # Keep our ends off fds 3 and 4 in the child: dup the child's ends above 9, and let bash
    # place them on 3 and 4 just before it becomes the browser.
    child_in = fcntl.fcntl(to_read, fcntl.F_DUPFD, 10)
    child_out = fcntl.fcntl(from_write, fcntl.F_DUPFD, 10)
    os.close(to_read)
    os.close(from_write)
    command = f'exec "$0" "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- {child_out}>&-'
    try:
        process = subprocess.Popen(
            ["bash", "-c", command, program, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(child_in, child_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise BrowserUnavailable(f"{program} could not be started: {exc}") from None
    finally:
        os.close(child_in)
        os.close(child_out)
    browser = Browser(process, to_write, from_read)
    try:
        browser.send("Browser.getVersion", page=False)
        browser.open_tab()
    except (RuntimeError, OSError) as exc:
        browser.close()
        raise BrowserUnavailable(f"{program} started but does not answer: {exc}") from None
    return browser
