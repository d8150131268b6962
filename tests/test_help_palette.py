"""The help screen (?) and the command palette (ctrl+p) come from the keymap registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.containers import VerticalScroll
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static

from tests.test_keys import Probe, cohort, press, probe_on
from tui import keymap
from tui.screens.help import HelpScreen, ordered_contexts
from tui.screens.home import HomeScreen


def help_screen(pilot: Pilot[Any]) -> HelpScreen:
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen), screen
    return screen


def sections(screen: HelpScreen) -> list[tuple[str, str]]:
    """(context, text) of each section, top to bottom."""
    found = []
    for static in screen.query(".help-section").results(Static):
        content = static.render()
        assert isinstance(content, Content)  # never a markup string
        assert static.name is not None
        found.append((static.name, content.plain))
    return found


async def test_help_lists_every_action_with_its_keys_this_screen_first(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await probe_on(pilot)
        await press(pilot, "question_mark")
        screen = help_screen(pilot)
        shown = sections(screen)
        assert [context for context, _ in shown][:2] == ["thread", "app"]
        assert sorted(context for context, _ in shown) == sorted(keymap.contexts())
        assert "(this screen)" in shown[0][1]
        for action in keymap.ACTIONS:
            text = dict(shown)[action.context]
            lines = [line for line in text.splitlines() if line.endswith(action.description)]
            assert len(lines) == 1, (action.id, text)
            assert keymap.display_key(action.keys) in lines[0], action.id
        thread = dict(shown)["thread"]
        assert "g g / home" in thread  # chords shown as typed
        assert "g s" in thread


async def test_help_from_home_puts_home_first(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await press(pilot, "question_mark")
        assert [context for context, _ in sections(help_screen(pilot))][:2] == ["home", "app"]


def test_context_order() -> None:
    assert ordered_contexts(None)[0] == "app"
    assert ordered_contexts("search")[:2] == ["search", "app"]
    assert ordered_contexts("help")[0] == "app"  # help about help: the rest matters more
    assert sorted(ordered_contexts("thread")) == sorted(keymap.contexts())


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_help_closes_with_escape_q_and_question_mark(tmp_path: Path, key: str) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        probe = await probe_on(pilot)
        await press(pilot, "question_mark")
        help_screen(pilot)
        await press(pilot, key)
        assert app.screen is probe
        assert probe.ran == []  # the key closed the help and did nothing else


async def test_help_scrolls_at_80x24(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await probe_on(pilot)
        await press(pilot, "question_mark")
        body = help_screen(pilot).query_one("#help-body", VerticalScroll)
        assert app.focused is body
        assert body.max_scroll_y > 0  # more than fits, so it must scroll
        await press(pilot, "pagedown")
        assert body.scroll_y > 0
        await press(pilot, "end")
        await pilot.pause(0.3)
        assert body.scroll_y == body.max_scroll_y


# -- the command palette ----------------------------------------------------------------------


async def open_palette(pilot: Pilot[Any], query: str = "") -> list[str]:
    await press(pilot, "ctrl+p")
    assert isinstance(pilot.app.screen, CommandPalette)
    if query:
        await pilot.press(*query)
    for _ in range(100):  # the palette gathers commands in a worker
        await pilot.pause(0.02)
        commands = pilot.app.screen.query_one(CommandList)
        if commands.option_count and pilot.app.screen.has_class("-ready"):
            break
    prompts = []
    for index in range(commands.option_count):
        prompt = commands.get_option_at_index(index).prompt
        assert isinstance(prompt, Content)
        prompts.append(prompt.plain)
    return prompts


async def test_palette_lists_this_screens_and_the_apps_commands_with_keys(
    tmp_path: Path,
) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await probe_on(pilot)
        prompts = await open_palette(pilot)
        assert "Go to the accepted answer  g s" in prompts
        assert "Next post  j / ↓" in prompts
        assert "Help: every key  ?" in prompts
        assert "Go to the latest topics  g l" in prompts
        # Not this screen's: home's actions, and thread actions the probe cannot run.
        assert not any(p.startswith("Next list") for p in prompts)
        assert not any(p.startswith("Tree or chronological order") for p in prompts)


async def test_palette_runs_a_command(tmp_path: Path) -> None:
    app = cohort(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        probe = await probe_on(pilot)
        prompts = await open_palette(pilot, "accepted answer")
        assert prompts[0] == "Go to the accepted answer  g s"
        await press(pilot, "enter")
        await pilot.pause()
        assert app.screen is probe
        assert probe.ran == [("solved", None)]


async def test_palette_shows_the_users_keys(tmp_path: Path) -> None:
    app = cohort(tmp_path, {"thread.solved": "S", "app.search": "ctrl+f"})
    async with app.run_test(size=(120, 40)) as pilot:
        await probe_on(pilot)
        prompts = await open_palette(pilot)
        assert "Go to the accepted answer  S" in prompts
        assert "Search  ^f" in prompts


async def test_palette_leaves_out_what_check_action_forbids(tmp_path: Path) -> None:
    class Picky(Probe):
        def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
            return action != "solved"

    app = cohort(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(Picky())
        await pilot.pause()
        prompts = await open_palette(pilot)
        assert "Next post  j / ↓" in prompts
        assert not any(p.startswith("Go to the accepted answer") for p in prompts)
