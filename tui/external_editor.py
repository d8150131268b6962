"""Handing text to the user's own editor ($VISUAL, $EDITOR, else vi) and taking it back.

The text goes to a private temporary file (0600, removed afterwards) and the app lets go
of the terminal while the editor runs. The text comes back only when the editor exits
cleanly; otherwise the caller keeps what it had. Under a test's Pilot there is no
terminal to hand over: `App.suspend` raises SuspendNotSupported, which callers report
(tests replace `suspended` to run a real script headless).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from textual.app import App

from tui.forum.sanitize import clean


def suspended(app: App[object]) -> contextlib.AbstractContextManager[None]:
    """The app let go of the terminal for as long as the editor runs."""
    return app.suspend()


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi, split as a shell would ("code --wait")."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(chosen) or ["vi"]


def run_editor(command: list[str], path: Path) -> int:
    """Run the editor on `path` in the foreground; its exit status."""
    return subprocess.run([*command, str(path)], check=False).returncode


@contextlib.contextmanager
def private_file(text: str) -> Iterator[Path]:
    """A temporary file only the user can read (mkstemp makes it 0600), removed after."""
    fd, name = tempfile.mkstemp(prefix="cohort-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class EditorFailed(Exception):
    """The editor did not give the text back; the composer keeps what it had."""


def edit_externally(app: App[object], text: str) -> str:
    """`text` as the user left it in their editor. EditorFailed when the editor cannot
    start or exits non-zero; SuspendNotSupported when there is no terminal to hand over."""
    command = editor_command()
    with private_file(text) as path:
        try:
            with suspended(app):
                status = run_editor(command, path)
        except OSError as exc:
            raise EditorFailed(f"{command[0]} could not start: {exc.strerror or exc}") from exc
        if status != 0:
            raise EditorFailed(f"{command[0]} exited with status {status}")
        edited = path.read_text(encoding="utf-8", errors="replace")
    # Editors end the file with a newline; one the text did not have is not the user's.
    if edited.endswith("\n") and not text.endswith("\n"):
        edited = edited[:-1]
    return clean(edited)


__all__ = ["EditorFailed", "edit_externally", "private_file"]
