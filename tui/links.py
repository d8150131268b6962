"""Opening a link the reader asked for: in a browser only for http/https and only where
this machine can show one (not over SSH, a display and a graphical browser present);
otherwise it is copied to the local clipboard through the terminal (OSC 52), and the
screen says which happened."""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from tui.forum.document import is_openable

Say = Callable[[str, str], None]  # (message, the URL shown as text)
CONSOLE_BROWSERS = frozenset({"www-browser", "links", "elinks", "lynx", "w3m"})


def over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


def local_browser() -> webbrowser.BaseBrowser | None:
    """A graphical browser this session may start, or None (over SSH, no display, or only
    a console browser, which would fight the TUI for the terminal)."""
    if over_ssh():
        return None
    has_display = sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if not has_display:
        return None
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return None
    # A GenericBrowser (lynx, w3m, or $BROWSER) runs in the foreground: in this terminal,
    # under the TUI, and open() waits for it to exit. Only detached ones are started.
    foreground = isinstance(browser, webbrowser.GenericBrowser) and not isinstance(
        browser, webbrowser.BackgroundBrowser
    )
    if foreground or getattr(browser, "name", "") in CONSOLE_BROWSERS:
        return None
    return browser


def open_link(screen: Screen[Any], url: str, say: Say) -> None:
    """Open `url` (or copy it, saying why); the browser starts off the event loop, as
    some controllers wait for it."""
    if not is_openable(url):
        say("not opened (only http and https links open): ", url)
        return
    browser = local_browser()
    if browser is None:
        screen.app.copy_to_clipboard(url)
        why = "over SSH" if over_ssh() else "no browser here"
        say(f"{why}: copied instead ", url)
        return

    def launched(opened: bool) -> None:
        if opened:
            say("opened ", url)
        else:
            screen.app.copy_to_clipboard(url)
            say("the browser did not start: copied instead ", url)

    def launch() -> None:
        try:
            opened = browser.open(url, new=2)
        except Exception:  # any failure of someone else's program: fall back to copying
            opened = False
        screen.app.call_from_thread(launched, opened)

    screen.run_worker(launch, thread=True, exclusive=True, group="browser")
