"""The real app in a pseudo-terminal: hostile text reaches the terminal only as inert text.

A topic whose title and body hold terminal escape sequences (window title, clipboard
write, clear screen, alternate screen), 8-bit C1 controls, bidi overrides and Textual
markup is created on the embedded forum; then `python -m tui` runs in a pty at 80x24
while the test presses keys (open the topic, go back, quit) and records every byte the
app writes. The app itself legitimately switches to the alternate screen and moves the
cursor, so each payload is unique ("pwned-7f3a", a base64 no one else writes, CSI
sequences followed by a marker): what must never appear is a payload *as sent in the
post*. What must appear is its visible remainder, e.g. "[@click=app.quit]x[/]" as
literal characters.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pytest

from tui.forum.embedded import EmbeddedForum
from tui.forum.native import NativeBackend

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

ROOT = Path(__file__).resolve().parent.parent
SIZE = (24, 80)  # rows, columns

CLICK = "[@click=app.quit]x[/]"
OSC_TITLE = "\x1b]0;pwned-7f3a\x07"
OSC_TITLE_C1 = "\x9d0;pwned-c1-7f3a\x9c"  # the same, with 8-bit OSC and ST
OSC_CLIPBOARD = "\x1b]52;c;Q29ob3J0LWNsaXAtOWU0Yg==\x07"  # base64 of "Cohort-clip-9e4b"
CLEAR = "\x1b[2Jwipe-51c2"
ALT_SCREEN = "\x1b[?1049halt-3d8e"
C1_CSI = "\x9b31mred-c1-0b7d"
BIDI = "\u202eevil-rtl-6a1c\u202c"
TITLE = f"{CLICK} {OSC_TITLE}{OSC_TITLE_C1} {CLEAR} {C1_CSI} {BIDI} [/bar]"
BODY = (
    f"Body-marker-44c1 {CLICK} [/bar] {OSC_CLIPBOARD} {OSC_TITLE} {ALT_SCREEN} {CLEAR} "
    f"{C1_CSI} {BIDI} {OSC_TITLE_C1}"
)

# Never written as sent: each payload, from its introducer to its unique marker.
FORBIDDEN_BYTES = [
    b"\x1b]0;pwned-7f3a",
    b"pwned-c1-7f3a\xc2\x9c",
    "\x9d0;pwned".encode(),
    b"\x1b]52;c;Q29ob3J0LWNsaXAtOWU0Yg==",
    b"\x1b[2Jwipe-51c2",
    b"\x1b[?1049halt-3d8e",
    "\x9b31mred".encode(),
]
FORBIDDEN_CHARS = ["\x9b", "\x9c", "\x9d", "\u202e", "\u202c"]

TAB, DOWN, ENTER, ESCAPE = b"\t", b"\x1b[B", b"\r", b"\x1b"


async def create_hostile_topic() -> int:
    """On the embedded forum of this test's XDG folders, before the app starts; returns
    its row in the latest topics (after the pinned ones, as the newest)."""
    async with EmbeddedForum() as http:
        forum = NativeBackend(http, base_url="http://cohort")
        category = (await forum.categories())[0]
        response = await http.post(
            "/api/v1/topics", json={"title": TITLE, "raw": BODY, "category": category.id}
        )
        assert response.status_code == 201, response.text
        topic_id = response.json()["topic"]["id"]
        latest = [t.id for t in (await forum.topics("latest")).topics]
        return latest.index(topic_id)


class Terminal:
    """The app on the other side of a pty; `output` is everything it wrote."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
        env.update(TERM="xterm-256color", COLORTERM="", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        for name in ("NO_COLOR", "COLUMNS", "LINES", "SSH_CONNECTION", "SSH_TTY"):
            env.pop(name, None)
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty's slave is its terminal; become the app
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", *SIZE, 0, 0))
                os.chdir(ROOT)
                os.execve(sys.executable, [sys.executable, "-m", "tui"], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = bytearray()
        self.status: int | None = None

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def read(self, *, until: bytes | None = None, seconds: float = 1.0) -> bool:
        """Record output for `seconds`, or until `until` has been written (a bound, not a
        timing assertion). False when it was not, or the app closed the terminal."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if until is not None and until in self.output:
                return True
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the other side is gone
                return False
            if not data:
                return False
            self.output += data
        return until is None or until in self.output

    def send(self, *keys: bytes, settle: float = 0.5) -> None:
        for key in keys:
            os.write(self.fd, key)
            self.read(seconds=settle)

    def wait(self, seconds: float) -> int | None:
        """The exit status once the app exits (within `seconds`), else None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.read(seconds=0.1)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = status
                return status
        return None

    def close(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            _, self.status = os.waitpid(self.pid, 0)
        os.close(self.fd)


def session_members(sid: int) -> list[int]:
    """Processes still in session `sid` (pty.fork makes the child a session leader)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # after ")": state, ppid, pgrp, session
            found.append(int(stat.parent.name))
    return found


def visible(output: str) -> str:
    """The characters written, with the app's own control sequences taken out."""
    return re.sub(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])", "", output)


async def test_hostile_topic_reaches_the_terminal_as_inert_text() -> None:
    row = await create_hostile_topic()
    term = Terminal()
    try:
        # The first useful frame: the status line says the forum answered.
        assert term.read(until=b"fresh", seconds=30), term.text[-2000:]
        term.read(seconds=1.0)
        assert CLICK in visible(term.text), "the title's markup shows as typed"
        term.send(TAB, *[DOWN] * row)  # to the topic list, down to the hostile topic
        term.send(ENTER, settle=1.0)  # its thread
        assert term.read(until=b"Body-marker-44c1", seconds=30), "the thread was shown"
        term.read(seconds=1.0)
        term.send(b"j", b"k")
        term.send(ESCAPE, settle=1.0)  # back home
        term.send(b"q")
        status = term.wait(30)
        assert status is not None, "the app did not exit on q"
    finally:
        term.close()

    assert term.status is not None
    assert os.WIFEXITED(term.status) and os.WEXITSTATUS(term.status) == 0, term.text[-2000:]
    assert session_members(term.pid) == [], "the app left processes behind"

    output = bytes(term.output)
    for payload in FORBIDDEN_BYTES:
        assert payload not in output, payload
    text = output.decode("utf-8", errors="strict")  # the app writes well-formed UTF-8
    for char in FORBIDDEN_CHARS:
        assert char not in text, repr(char)
    assert "\x1b]52;" not in text  # no clipboard write at all: nothing was copied
    shown = visible(text)
    # The visible remainders: the markup as typed, the payloads' printable tails.
    for literal in (CLICK, "[/bar]", "]0;pwned-7f3a", "[2Jwipe-51c2", "evil-rtl-6a1c"):
        assert literal in shown, literal


def test_the_checks_would_catch_the_payloads_as_sent() -> None:
    # Each forbidden pattern is in the post as written, so the test above can fail: it
    # does if the app writes any payload through unchanged.
    sent = f"{TITLE}\n{BODY}"
    for payload in FORBIDDEN_BYTES:
        assert payload in sent.encode(), payload
    for char in FORBIDDEN_CHARS:
        assert char in sent, repr(char)
    # And the app's own sequences are not mistaken for text.
    assert visible("\x1b[1;1H\x1b[38;5;214mab\x1b[0m\x1b]22;default\x07c") == "abc"
