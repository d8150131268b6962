"""Count prefixes and chords (tui/keys.py) and the user's keymap (tui/keymap.py).

A probe screen stands in for a real one: it takes the "thread" context's bindings from
the registry, as ThreadScreen does, and records each action it runs with `self.count`.
It runs on CohortApp (which hands keys to the screen first) over an in-memory forum, and
on a bare App (where the mixin reads keys as they bubble up).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

from tests.fake_backend import FakeBackend
from tui import keymap
from tui.app import CohortApp
from tui.forum.backend import ForumBackend
from tui.forum.config import load_config
from tui.keys import KeysMixin, PendingKeys
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen


class Probe(KeysMixin, Screen[None]):
    KEY_CONTEXT = "thread"
    # The registry's thread keys, plus one priority key to show counts reach those too.
    BINDINGS = [*keymap.bindings("thread"), Binding("x", "mark", "Mark", priority=True)]
    AUTO_FOCUS = ""  # keys go to the screen, as on a screen whose input is not focused

    def __init__(self) -> None:
        super().__init__(name="thread")
        self.ran: list[tuple[str, int | None]] = []

    def compose(self) -> ComposeResult:
        yield Input(id="box")
        yield Footer()

    def _record(self, name: str) -> None:
        self.ran.append((name, self.count))

    def action_first(self) -> None:
        self._record("first")

    def action_last(self) -> None:
        self._record("last")

    def action_down(self) -> None:
        self._record("down")

    def action_up(self) -> None:
        self._record("up")

    def action_solved(self) -> None:
        self._record("solved")

    def action_back(self) -> None:
        self._record("back")

    def action_goto(self) -> None:
        self._record("goto")

    def action_mark(self) -> None:
        self._record("mark")


def fake_forum() -> Any:
    forum = FakeBackend()
    category = forum.add_category("general", "General")
    forum.add_topic("A first topic", category=category)

    @asynccontextmanager
    async def open_forum() -> AsyncIterator[ForumBackend]:
        yield forum

    return open_forum


def cohort(tmp_path: Path, keys: Mapping[str, str] | None = None) -> CohortApp:
    return CohortApp(fake_forum(), cache_file=tmp_path / "cache.db", keys=keys)


async def probe_on(pilot: Pilot[Any]) -> Probe:
    probe = Probe()
    await pilot.app.push_screen(probe)
    await pilot.pause()
    return probe


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def pending_box(screen: Screen[Any]) -> str:
    boxes = list(screen.query(PendingKeys))
    shown = [b for b in boxes if b.has_class("-pending")]
    return str(shown[0].render()) if shown else ""


# -- counts and chords -------------------------------------------------------------------------


async def test_chords_and_counts_dispatch_to_the_screens_actions(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        await press(pilot, "g", "g")
        await press(pilot, "1", "2", "G")
        await press(pilot, "j")
        await press(pilot, "5", "j")
        await press(pilot, "3", "g", "g")
        await press(pilot, "g", "s")
        await press(pilot, "4", "2", "enter")
        await press(pilot, "7", "x")  # a priority binding gets the count too
        assert probe.ran == [
            ("first", None),
            ("last", 12),
            ("down", None),
            ("down", 5),
            ("first", 3),
            ("solved", None),
            ("goto", 42),
            ("mark", 7),
        ]


async def test_the_pending_count_and_chord_are_shown_then_cleared(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        assert pending_box(probe) == ""
        await press(pilot, "1", "2")
        assert probe.pending_keys == "12"
        assert pending_box(probe) == "12"
        await press(pilot, "g")
        assert pending_box(probe) == "12 g"
        await press(pilot, "g")
        assert pending_box(probe) == ""
        assert probe.ran == [("first", 12)]


async def test_escape_cancels_a_pending_chord_or_count_and_does_nothing_else(
    tmp_path: Path,
) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        await press(pilot, "g", "escape", "g")
        assert probe.ran == []  # not "g g": the escape ended the first chord
        assert probe.pending_keys == "g"
        await press(pilot, "escape", "5", "escape", "j")
        assert probe.ran == [("down", None)]  # escape neither went back nor kept the 5
        await press(pilot, "escape")
        assert probe.ran == [("down", None), ("back", None)]  # nothing pending: back


async def test_an_unknown_key_cancels_a_chord(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        await press(pilot, "3", "g", "j")  # "g j" is no chord: dropped, j not run either
        assert probe.ran == []
        assert probe.pending_keys == ""
        await press(pilot, "j")
        assert probe.ran == [("down", None)]  # the 3 went with the cancelled chord


async def test_a_chord_times_out(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        await press(pilot, "g")
        assert probe.pending_keys == "g"
        for _ in range(200):  # CHORD_TIMEOUT (1.5 s), with a generous bound
            if not probe.pending_keys:
                break
            await pilot.pause(0.05)
        assert probe.pending_keys == ""
        assert pending_box(probe) == ""
        await press(pilot, "g")
        assert probe.ran == []  # a "g" after the timeout starts a new chord
        assert probe.pending_keys == "g"


async def test_typing_into_an_input_is_never_read_as_count_or_chord(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        probe.query_one("#box", Input).focus()
        await press(pilot, "g", "g", "1", "2", "G", "j", "question_mark", "slash")
        assert probe.query_one("#box", Input).value == "gg12Gj?/"
        assert probe.ran == []
        assert probe.pending_keys == ""
        assert app.screen is probe  # neither ? nor / left the screen


async def test_single_keys_work_alone_and_the_count_is_only_for_the_next_key(
    tmp_path: Path,
) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        await press(pilot, "k", "down", "end", "home")
        await press(pilot, "9", "k", "k")
        assert probe.ran == [
            ("up", None),
            ("down", None),
            ("last", None),
            ("first", None),
            ("up", 9),
            ("up", None),
        ]


async def test_app_chords_work_from_any_reading_screen(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await probe_on(pilot)
        await press(pilot, "g", "l")
        assert isinstance(app.screen, HomeScreen)
        await probe_on(pilot)
        await press(pilot, "g", "c")
        assert isinstance(app.screen, HomeScreen)
        assert app.focused is app.screen.query_one("#categories")


async def test_the_mixin_reads_keys_on_an_app_that_does_not_route_them() -> None:
    class Bare(App[None]):
        def on_mount(self) -> None:
            self.push_screen(Probe())

    app = Bare()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        probe = app.screen
        assert isinstance(probe, Probe)
        await press(pilot, "1", "2", "G", "g", "g", "j", "g", "escape", "k")
        assert probe.ran == [("last", 12), ("first", None), ("down", None), ("up", None)]


# -- the user's keymap --------------------------------------------------------------------------


async def test_a_user_keymap_remaps_single_keys_and_chords(tmp_path: Path) -> None:
    keys = {"thread.first": "g h", "thread.last": "L", "thread.solved": "S"}
    app = cohort(tmp_path, keys)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.keymap_check.problems == []
        probe = await probe_on(pilot)
        await press(pilot, "g", "g")  # no longer a chord
        await press(pilot, "G")  # no longer a key
        assert probe.ran == []
        await press(pilot, "g", "h", "3", "L", "S")
        assert probe.ran == [("first", None), ("last", 3), ("solved", None)]


async def test_the_footer_and_help_show_the_users_keys(tmp_path: Path) -> None:
    app = cohort(tmp_path, {"home.refresh": "f5", "thread.parent": "S"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = {(k.key_display, k.description) for k in app.screen.query(FooterKey)}
        assert ("f5", "Refresh") in footer
        assert not any(key == "r" for key, _ in footer)
        probe = await probe_on(pilot)
        footer = {(k.key_display, k.description) for k in probe.query(FooterKey)}
        assert ("S", keymap.FOOTER_LABELS["thread.parent"]) in footer
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        thread = app.screen.section("thread").plain
        assert "S" in line_of(thread, "The post this replies to").split()
        assert "(your key)" in line_of(thread, "The post this replies to")
        assert "f5" in line_of(app.screen.section("home").plain, "Refresh").split()


def line_of(text: str, description: str) -> str:
    found = [line for line in text.splitlines() if description in line]
    assert len(found) == 1, text
    return found[0]


async def test_a_clash_is_reported_and_not_applied(tmp_path: Path) -> None:
    app = cohort(tmp_path, {"thread.back": "j", "thread.last": "g", "thread.up": "K"})
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        problems = app.keymap_check.problems
        assert any('"thread.back"' in p and "thread.down" in p for p in problems), problems
        assert any('"thread.last"' in p and "g g" in p for p in problems), problems
        assert app.keymap_check.applied == {"thread.up": "K"}
        shown = [n.message for n in app._notifications]
        assert len(shown) == 1 and "thread.back" in shown[0] and "?" in shown[0]
        probe = await probe_on(pilot)
        await press(pilot, "j", "escape", "G", "K", "k")
        # j still goes down, escape still goes back, G still goes last; K is the new up.
        assert probe.ran == [("down", None), ("back", None), ("last", None), ("up", None)]
        await press(pilot, "question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        listed = help_screen.query_one("#help-problems").render()
        assert "thread.back" in str(listed) and "thread.last" in str(listed)


async def test_no_notification_when_the_keymap_is_fine(tmp_path: Path) -> None:
    app = cohort(tmp_path, {"home.refresh": "f5"})
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert list(app._notifications) == []
        assert not app.screen.query("#help-problems")


@pytest.mark.parametrize(
    ("keys", "needle"),
    [
        ({"thread.nope": "z"}, "no such action"),
        ({"nothing": "z"}, "no such action"),
        ({"thread.down": "fooo"}, "names no key"),
        ({"thread.down": "ctrl+fooo"}, "names no key"),
        ({"thread.down": "hyper+"}, "names no key"),
        ({"thread.down": "win+q"}, "not a modifier"),
        ({"thread.down": "j,"}, "empty alternative"),
        ({"thread.down": "5"}, "count"),
        ({"thread.down": "ctrl+p"}, "command palette"),
        ({"thread.down": "g escape"}, "escape"),
        ({"thread.down": "z, z x"}, "its own keys"),
        ({"thread.down": "slash"}, "app.search"),  # an app key is live on every screen
        ({"app.search": "j"}, "thread.down"),
        ({"home.refresh": "g"}, "home.first"),  # a chord's first key
        ({"home.refresh": "g l x"}, "app.latest"),  # extends a chord
    ],
)
def test_keymap_problems_are_reported_one_line_each(keys: dict[str, str], needle: str) -> None:
    check = keymap.check_user_keys(keys)
    assert check.applied == {}
    assert len(check.problems) == 1
    assert needle in check.problems[0]
    assert "\n" not in check.problems[0]


def test_keymap_accepts_what_does_not_clash_and_normalizes_keys() -> None:
    check = keymap.check_user_keys(
        {
            "home.refresh": "f5, ctrl+r",
            "home.tag": "r",  # freed by home.refresh
            "thread.toggle_order": "?",  # help's ? is the app's; the screen's wins there
            "thread.solved": "g a",
            "search.open": ["enter", "o"][0],
        }
    )
    assert "thread.toggle_order" not in check.applied  # ? is app.help's on every screen
    assert check.applied == {
        "home.refresh": "f5,ctrl+r",
        "home.tag": "r",
        "thread.solved": "g a",
        "search.open": "enter",
    }


def test_keys_the_registry_itself_overlaps_are_not_reported() -> None:
    # help.close has ?, like app.help: declared together in the table, so restating them
    # is no clash of the user's making.
    assert keymap.check_user_keys({"help.close": "escape,q,?"}).problems == []


def test_entries_clashing_with_each_other_are_both_left_out() -> None:
    check = keymap.check_user_keys({"home.refresh": "z", "home.tag": "z"})
    assert check.applied == {}
    assert len(check.problems) == 2


def test_the_registry_has_no_clash_of_its_own() -> None:
    assert keymap.check_user_keys({a.id: a.keys for a in keymap.ACTIONS}).problems == []


def test_key_display() -> None:
    assert keymap.display_key("g g,home") == "g g / home"
    assert keymap.display_key("question_mark") == "?"
    assert keymap.display_key("ctrl+x") == "^x"
    assert keymap.display_key("right_square_bracket") == "]"


# -- the documented example ---------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "keymap.example.toml"


def test_the_example_keymap_lists_every_action_as_the_registry_has_it() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == keymap.example_toml(), (
        "regenerate config/keymap.example.toml from tui.keymap.example_toml()"
    )


def test_the_example_keymap_uncommented_is_a_valid_config(isolated_xdg: Path) -> None:
    text = re.sub(r'(?m)^# ("[a-z_]+\.[a-z_]+" = )', r"\1", EXAMPLE.read_text(encoding="utf-8"))
    config_file = isolated_xdg / "xdg_config_home" / "cohort" / "config.toml"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text, encoding="utf-8")
    config = load_config(site_path=None)
    assert set(config.keys) == {a.id for a in keymap.ACTIONS}
    check = keymap.check_user_keys(config.keys)
    assert check.problems == []
    assert check.applied == {a.id: a.keys for a in keymap.ACTIONS}
