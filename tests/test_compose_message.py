"""The composer writing a new private conversation (kind "message"): whom it is for, a
title and the first post, with the same preview, completion, drafts and outbox as a new
topic. Driven through the Pilot on the embedded forum (the sample community: ola, ben,
hana, chen and the others); the People and Messages screens' own paths into it are in
tests/test_community_screens.py."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.test_compose import (
    active,
    fake_editor,
    inside,
    open_composer,
    screen_lines,
    sent,
    started,
    status,
    type_text,
)
from tui import external_editor
from tui.app import CohortApp
from tui.forum.outbox import OutboxKind
from tui.screens import compose
from tui.screens.compose import ComposeRequest, ComposeScreen
from tui.screens.keep_draft import KeepDraftScreen
from widgets.composer import ParticipantsInput, Suggestions, parse_participants


@pytest.fixture
def no_suspend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Pilot has no terminal to hand over; the editor still runs for real."""
    monkeypatch.setattr(external_editor, "suspended", lambda app: contextlib.nullcontext())


def test_participants_are_read_generously() -> None:
    assert parse_participants("@ola, chen  hana,ola") == ["ola", "chen", "hana"]
    assert parse_participants(" , @ ") == []


def test_a_message_request_keys_its_draft_by_its_people() -> None:
    assert ComposeRequest("message", participants=("ola", "Ben")).draft_key == "message:ben,ola"
    assert ComposeRequest("message").draft_key == "message:"


async def test_it_is_checked_before_it_is_queued_then_delivered() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert app.me is not None
        me = app.me.username
        screen, results = await open_composer(pilot, ComposeRequest("message"))
        to = screen.query_one("#compose-to", Input)
        assert to.has_focus
        await pilot.press("ctrl+s")
        assert "name someone" in status(screen) and to.has_focus and not results
        to.value = me  # only oneself: nobody to write to
        await pilot.press("ctrl+s")
        assert "name someone" in status(screen) and not results
        to.value = f"{me}, ola"
        await pilot.press("ctrl+s")
        title = screen.query_one("#compose-title", Input)
        assert "title" in status(screen) and title.has_focus and not results
        await type_text(pilot, "Week 3")
        await pilot.press("ctrl+s")
        assert "empty" in status(screen) and screen.editor.has_focus and not results
        await type_text(pilot, "How is **week 3** going?")
        await pilot.press("ctrl+o")  # narrow: the preview in the editor's place
        await pilot.pause(0.3)
        assert any("How is week 3 going?" in line for line in screen_lines(app))
        await pilot.press("ctrl+o")
        await pilot.press("ctrl+s")
        item = results[0] if results else None
        assert item is not None and item.kind is OutboxKind.MESSAGE
        assert (item.participants, item.title) == (("ola",), "Week 3")  # not oneself
        done = await sent(pilot, item)
        assert done.topic_id is not None
        assert app.backend is not None
        page = await app.backend.topic(done.topic_id)
        assert page.topic.title == "Week 3" and page.posts[0].raw == "How is **week 3** going?"


async def test_at_completes_the_participants_from_the_people_offered() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        request = ComposeRequest("message", people=("ola", "olivia", "ben"))
        screen, _ = await open_composer(pilot, request)
        suggestions = screen.query_one(Suggestions)
        to = screen.query_one(ParticipantsInput)
        await type_text(pilot, "ben, @ol")
        assert active(suggestions) and suggestions.current == "ola"
        assert any("@ola" in line and "@olivia" in line for line in screen_lines(app))
        await pilot.press("down", "tab")
        assert to.value == "ben, olivia, " and to.participants == ["ben", "olivia"]
        assert not active(suggestions) and to.has_focus
        await type_text(pilot, "b")
        assert not active(suggestions)  # ben is there already


async def test_the_draft_is_kept_and_restored_in_the_next_run() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        request = ComposeRequest("message", participants=("ola",))
        screen, results = await open_composer(pilot, request)
        assert screen.query_one("#compose-title", Input).has_focus
        await type_text(pilot, "Check-in")
        await pilot.press("tab")
        await type_text(pilot, "Half a tho")
        screen.query_one("#compose-to", Input).value = "ola, ben"
        await pilot.pause()
        assert app.drafts is not None
        draft = app.drafts.load("message:ola")
        assert draft is not None and draft.participants == ("ola", "ben")
        assert (draft.title, draft.raw) == ("Check-in", "Half a tho")
        await pilot.press("escape")
        assert isinstance(app.screen, KeepDraftScreen)
        await pilot.press("enter")  # keep
        assert results == [None]
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen, _ = await open_composer(pilot, ComposeRequest("message", participants=("ola",)))
        assert "draft restored from" in status(screen)
        assert screen.query_one("#compose-to", Input).value == "ola, ben"
        assert screen.query_one("#compose-title", Input).value == "Check-in"
        assert screen.editor.text == "Half a tho"


async def test_ctrl_e_writes_the_message_in_the_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_suspend: None
) -> None:
    script = fake_editor(tmp_path, 'printf "from the editor" > "$1"')
    monkeypatch.setenv("VISUAL", str(script))
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen, _ = await open_composer(pilot, ComposeRequest("message", participants=("ola",)))
        screen.editor.focus()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert screen.editor.text == "from the editor"
        assert app.drafts is not None
        draft = app.drafts.load("message:ola")
        assert draft is not None and draft.raw == "from the editor"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_everything_needed_is_on_screen(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        screen, _ = await open_composer(pilot, ComposeRequest("message", participants=("ola",)))
        assert isinstance(app.screen, ComposeScreen)
        for selector in (
            "#compose-heading",
            "#compose-to",
            "#compose-title",
            "#compose-editor",
            "#compose-status",
            "Footer",
        ):
            assert inside(screen.query_one(selector), size), selector
        assert not screen.query("#compose-category") and not screen.query("#compose-tags")
        assert "New private message" in screen_lines(app)[0]
        assert screen.editor.region.height >= 10
        if size[0] >= compose.WIDE:
            assert inside(screen.preview, size)
