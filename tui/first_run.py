"""The login form on its own: for `cohort login` with no forum named, and for a first run
of `cohort --forum URL` on a forum not saved yet (the TUI then opens the saved profile).

A separate small App, so the main one starts as it always does, on a profile that exists.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from textual.app import App

from tui.forum.config import Profile
from tui.resources import stylesheet
from tui.screens.login import LoginScreen
from tui.terminal import ANSI_THEMES

if TYPE_CHECKING:
    from tui.terminal import Startup


class LoginApp(App[Profile | None]):
    """Only the login screen; exits with the saved profile, or None."""

    TITLE = "Cohort: add a forum"
    CSS_PATH = stylesheet()

    def __init__(self, address: str = "", *, theme: str | None = None, **screen: Any) -> None:
        """`address` is checked at once when given; `screen` goes to LoginScreen (tests
        pass `sleep`, `secrets`, `user_path`)."""
        super().__init__(ansi_color=True if theme in ANSI_THEMES else None)
        if theme is not None:
            self.theme = theme
        self.address = address
        self.screen_options = screen

    def on_mount(self) -> None:
        screen = LoginScreen(self.address, start=bool(self.address), **self.screen_options)
        self.push_screen(screen, callback=self.exit)


def run_login(startup: Startup, *, address: str = "") -> Profile | None:
    """Show the login form until the user saves a forum (its Profile) or leaves (None).

    `startup` is `tui.terminal.prepare`'s, made before this module (and Textual) was
    imported. StartupError for a theme that does not exist.
    """
    from textual.theme import BUILTIN_THEMES

    from tui.terminal import choose_theme

    theme = choose_theme(startup.options, os.environ, BUILTIN_THEMES)
    app = LoginApp(address, theme=theme)
    app.run()
    return app.return_value
