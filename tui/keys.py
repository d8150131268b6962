"""Count prefixes and chords, vim-style: "12 G" goes to post 12, "g g" to the first.

A screen opts in with `KeysMixin` and reads `self.count` in its actions. Digits build
the count (shown in a small `PendingKeys` box, bottom right); a key that starts a chord
waits for the rest ("g", then "g"), for at most `CHORD_TIMEOUT` seconds. Escape drops
what is pending; a key that completes no chord drops it too, and does nothing else.

Chords are the screen's and the app's active bindings whose key has a space (see
tui/keymap.py), so a user's remapped chords work here as they show in the footer. Any
other key goes on to Textual's bindings with `self.count` set for the action it runs.
A key the focused widget wants (typing into an Input) is never read as a count or chord.

CohortApp hands every key to the screen's `read_key` before Textual's own handling, so
priority bindings see the count too; on another App the mixin reads keys as they bubble
up to the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from tui.keymap import DIGITS, display_key

if TYPE_CHECKING:
    _ScreenBase = Screen[Any]
else:
    _ScreenBase = object

MAX_COUNT = 999_999


class PendingKeys(Static):
    """What has been typed of a count or chord ("12", "g", "3 g"); hidden when nothing is."""

    DEFAULT_CSS = """
    PendingKeys {
        width: auto;
        height: 1;
        padding: 0 1;
        background: $accent;
        color: $text;
        text-style: bold;
        display: none;
    }
    PendingKeys.-floating {
        /* Over the footer's right end: bottom right of the screen, out of the layout. */
        dock: right;
        offset-y: 100vh;
        margin-top: -1;
    }
    PendingKeys.-pending {
        display: block;
    }
    """


class KeysMixin(_ScreenBase):
    """Count prefixes and chords for a Screen: `class S(KeysMixin, Screen[None])`.

    Set `KEY_CONTEXT` to the screen's keymap context ("thread"). In an action, `self.count`
    is the number typed before the key that ran it (None when none was typed).
    """

    KEY_CONTEXT: ClassVar[str] = ""
    CHORD_TIMEOUT: ClassVar[float] = 1.5  # seconds; SSH round trips need some slack

    count: int | None = None
    _typed: int | None = None
    _chord: tuple[str, ...] = ()
    _chord_timer: Timer | None = None

    def count_or(self, default: int) -> int:
        """`self.count`, or `default` when no count was typed."""
        return default if self.count is None else self.count

    @property
    def pending_keys(self) -> str:
        """What is typed and waiting, as shown: "12", "g", "3 g"."""
        parts = [] if self._typed is None else [str(self._typed)]
        parts += [display_key(key) for key in self._chord]
        return " ".join(parts)

    def chord_bindings(self) -> dict[tuple[str, ...], tuple[DOMNode, str]]:
        """Every chord live on this screen (its keys and the app's, as remapped):
        key sequence -> (the node to run it on, its action)."""
        found: dict[tuple[str, ...], tuple[DOMNode, str]] = {}
        for key, active in self.active_bindings.items():
            if " " in key.strip():
                found.setdefault(tuple(key.split()), (active.node, active.binding.action))
        return found

    async def read_key(self, event: events.Key) -> bool:
        """Read one key; True when it was taken (part of a count or chord, or escape
        dropping one), False when it goes on to Textual with `self.count` set."""
        key = event.key
        focused = self.focused
        if focused is not None and focused.check_consume_key(key, event.character):
            self._drop()
            return False
        if key in ("tab", "shift+tab") and getattr(focused, "KEYS_BY_BINDING_ONLY", False):
            # The focus moves before the next key is read (see `_run_now`).
            self._drop()
            if key == "tab":
                self.focus_next()
            else:
                self.focus_previous()
            return True
        if self._chord:
            return await self._continue_chord(key)
        if key in DIGITS and (key != "0" or self._typed is not None):
            self._typed = min((self._typed or 0) * 10 + int(key), MAX_COUNT)
            self._show_pending()
            return True
        if key == "escape" and self._typed is not None:
            self._drop()
            return True
        if any(chord[0] == key for chord in self.chord_bindings()):
            self._chord = (key,)
            self._start_timer()
            self._show_pending()
            return True
        self.count, self._typed = self._typed, None
        self._show_pending()
        return await self._run_now(key)

    async def _run_now(self, key: str) -> bool:
        """Run a key's action here and now when a list or the thread has the focus. Textual
        would queue the key for the focused widget and run the action (the widget's, or
        the screen's once the widget passed it on) only later, while a priority key typed
        after it (enter) runs at once: a terminal delivers "j enter", typed quickly or
        pasted, in one read, and enter opened the topic j was moving away from. Only
        widgets that take keys through bindings alone say so (`KEYS_BY_BINDING_ONLY`): a
        text field's keys always go to it first."""
        focused = self.focused
        if not getattr(focused, "KEYS_BY_BINDING_ONLY", False):
            return False
        active = self.active_bindings.get(key)
        if active is None or active.binding.priority or not active.enabled:
            # Nothing bound; or Textual runs it at once anyway; or it is disabled here,
            # when Textual goes on to look for another binding of the key.
            return False
        return await self.app.run_action(active.binding.action, active.node)

    async def _continue_chord(self, key: str) -> bool:
        sequence = (*self._chord, key)
        chords = self.chord_bindings()
        if key == "escape":
            self._drop()
        elif sequence in chords:
            node, action = chords[sequence]
            self.count, self._typed, self._chord = self._typed, None, ()
            self._stop_timer()
            self._show_pending()
            await self.app.run_action(action, node)
        elif any(chord[: len(sequence)] == sequence for chord in chords):
            self._chord = sequence
            self._start_timer()
            self._show_pending()
        else:
            self._drop()
        return True

    def _drop(self) -> None:
        """Forget what is pending: escape, a timeout, a key that completes nothing."""
        self.count = self._typed = None
        self._chord = ()
        self._stop_timer()
        self._show_pending()

    def _start_timer(self) -> None:
        self._stop_timer()
        self._chord_timer = self.set_timer(self.CHORD_TIMEOUT, self._drop, name="chord")

    def _stop_timer(self) -> None:
        if self._chord_timer is not None:
            self._chord_timer.stop()
            self._chord_timer = None

    def _show_pending(self) -> None:
        text = self.pending_keys
        if not self.is_mounted:
            return
        boxes = list(self.query(PendingKeys))
        if not boxes:
            if not text:
                return
            box = PendingKeys(classes="-floating")
            self.mount(box)
            boxes = [box]
        for box in boxes:
            box.update(Content(text))
            box.set_class(bool(text), "-pending")

    async def _on_key(self, event: events.Key) -> None:
        # CohortApp has already read the key (see the module's docstring).
        if getattr(self.app, "READS_KEYS_FIRST", False):
            return
        if await self.read_key(event):
            event.stop()
            event.prevent_default()


def context_of(screen: object) -> str | None:
    """The keymap context of a screen: its `KEY_CONTEXT`, else its name ("home")."""
    context = getattr(screen, "KEY_CONTEXT", "") or getattr(screen, "name", None)
    return context if isinstance(context, str) and context else None
