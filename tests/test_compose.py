"""The composer, driven through the Pilot on the embedded forum with the sample community.

Every test gets fresh XDG folders (conftest), so drafts and the outbox live in the test's
own state file and what is sent lands in the test's own forum; the tests read it back
through the app's backend. The app's outbox sender runs for as long as the app does, so
these tests wait for what they need rather than for every worker to finish.
"""

from __future__ import annotations

import contextlib
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from tui import external_editor, keymap
from tui.app import CohortApp
from tui.forum.drafts import edit_key, new_topic_key, reply_key
from tui.forum.models import Post, TopicPage
from tui.forum.native import NativeBackend
from tui.forum.outbox import Outbox, OutboxItem, OutboxKind, OutboxState
from tui.screens import compose
from tui.screens.compose import ComposeRequest, ComposeScreen
from tui.screens.keep_draft import KeepDraftScreen
from tui.screens.thread import ThreadScreen
from widgets.composer import (
    Suggestions,
    Word,
    matches,
    parse_tags,
    quote_block,
    tag_before,
    word_before,
)
from widgets.thread_view import ThreadView

Result = list[OutboxItem | None]


# -- helpers ------------------------------------------------------------------------------------


async def until(
    pilot: Pilot[Any],
    condition: Callable[[], object],
    what: str,
    detail: Callable[[], object] = lambda: "",
) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} {detail()}")
        await pilot.pause(0.02)


def backend(app: CohortApp) -> NativeBackend:
    assert isinstance(app.backend, NativeBackend)
    return app.backend


def outbox(app: CohortApp) -> Outbox:
    assert app.outbox is not None
    return app.outbox


async def started(pilot: Pilot[Any]) -> CohortApp:
    """The app with its forum open, the user known and the latest topics cached."""
    app = pilot.app
    assert isinstance(app, CohortApp)
    await until(pilot, lambda: app.repo is not None and app.me is not None, "the forum")
    assert app.cache is not None
    cache = app.cache
    await until(pilot, lambda: cache.get_topic_list(cache.list_key()), "the topic list")
    return app


async def a_thread(app: CohortApp, prefix: str = "") -> TopicPage:
    topics = (await backend(app).topics("latest")).topics
    topic = next(t for t in topics if t.title.startswith(prefix) and t.posts_count >= 2)
    return await backend(app).topic(topic.id)


async def open_composer(pilot: Pilot[Any], request: ComposeRequest) -> tuple[ComposeScreen, Result]:
    app = pilot.app
    results: Result = []
    screen = ComposeScreen(request)
    await app.push_screen(screen, results.append)
    await until(pilot, lambda: screen.choices.categories, "the categories")
    await pilot.pause()
    return screen, results


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*("enter" if c == "\n" else c for c in text))


def status(screen: ComposeScreen, selector: str = "#compose-status") -> str:
    content = screen.query_one(selector, Static).content
    assert isinstance(content, Content)  # never a markup string
    return content.plain


def screen_lines(app: CohortApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def sent(pilot: Pilot[Any], item: OutboxItem) -> OutboxItem:
    app = pilot.app
    assert isinstance(app, CohortApp)
    box = outbox(app)
    await until(pilot, lambda: not box.get(item.id).pending, "delivery", lambda: box.get(item.id))
    done = box.get(item.id)
    assert done.state is OutboxState.SENT, (done.state, done.reason)
    return done


async def a_post_of_mine(app: CohortApp, topic_id: int, raw: str) -> Post:
    return await backend(app).reply(topic_id, raw, reply_to_post_number=None, key=str(uuid.uuid4()))


def shown(widget: Widget) -> bool:
    """Whether it is displayed (a function: each check reads it afresh)."""
    return bool(widget.display)


def active(suggestions: Suggestions) -> bool:
    return suggestions.active


def preview_shown(screen: ComposeScreen) -> bool:
    return bool(screen.query_one("#compose-preview-pane").display)


def inside(widget: Widget, size: tuple[int, int]) -> bool:
    region = widget.region
    return (
        widget.display
        and region.width > 0
        and region.height > 0
        and region.x >= 0
        and region.y >= 0
        and region.right <= size[0]
        and region.bottom <= size[1]
    )


# -- pure parts ---------------------------------------------------------------------------------


def test_words_to_complete() -> None:
    assert word_before("hi @ma", 6) == compose_word("@", "ma", 3, 6)
    assert word_before("@", 1) == compose_word("@", "", 0, 1)
    assert word_before("see #pe", 7) == compose_word("#", "pe", 4, 7)
    assert word_before("# heading", 1) is None  # a bare # may be a heading
    assert word_before("mail me@host", 12) is None
    assert word_before("## x", 2) is None
    assert word_before("@maya done", 10) is None
    assert tag_before("python, sq", 10) == compose_word("", "sq", 8, 10)
    assert tag_before("python, ", 8) is None
    assert matches("ma", ["ben", "maya", "Max", "emma", "maya"]) == ["maya", "Max", "emma"]
    assert matches("maya", ["maya"]) == []
    assert parse_tags("sql, python  #sql,,git") == ["sql", "python", "git"]


def compose_word(trigger: str, prefix: str, start: int, end: int) -> Word:
    return Word(trigger, prefix, start, end)


def test_a_quote_names_its_post_as_discourse_does() -> None:
    from datetime import UTC, datetime

    from tui.forum import markdown
    from tui.forum.document import Quote

    post = Post(
        id=9, topic_id=4, post_number=3, username="maya", created_at=datetime.now(UTC), raw="Hi"
    )
    block = quote_block(post)
    assert block.startswith('[quote="maya, post:3, topic:4"]\nHi\n[/quote]')
    quote = markdown.parse(block).blocks[0]
    assert isinstance(quote, Quote)
    assert (quote.author, quote.post_number, quote.topic_id) == ("maya", 3, 4)


def test_the_keys_are_in_the_registry_and_leave_typing_alone() -> None:
    ids = {a.id for a in keymap.actions("compose")}
    assert ids == {"compose.send", "compose.editor", "compose.preview", "compose.cancel"}
    for action in keymap.actions("compose"):
        for keys in keymap.parse_keys(action.keys):
            # A key that types text would never reach the screen from the editor.
            assert keys[0].startswith("ctrl+") or keys[0] == "escape", action
    assert keymap.check_user_keys({a.id: a.keys for a in keymap.ACTIONS}).problems == []


def test_a_request_must_say_what_it_writes() -> None:
    with pytest.raises(ValueError):
        ComposeRequest("reply")
    with pytest.raises(ValueError):
        ComposeRequest("edit", topic_id=1)
    # Built anywhere (no app needed until it is shown).
    assert ComposeScreen(ComposeRequest("topic", category_id=3)).key == new_topic_key(3)


# -- replying -----------------------------------------------------------------------------------


async def test_a_reply_is_queued_then_delivered_with_the_exact_text() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        parent = page.posts[1]
        request = ComposeRequest(
            "reply",
            topic_id=page.topic.id,
            topic_title=page.topic.title,
            reply_to=parent,
            since_post_number=page.topic.highest_post_number,
        )
        screen, results = await open_composer(pilot, request)
        assert screen.editor.has_focus
        await type_text(pilot, "Thanks, *that* helped.\nA second line with `code`.")
        screen.editor.insert(" Merci — ça marche 👍")  # what the Pilot cannot type
        text = "Thanks, *that* helped.\nA second line with `code`. Merci — ça marche 👍"
        assert screen.editor.text == text
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, "the composer to close")
        item = results[0]
        assert item is not None and item.kind is OutboxKind.REPLY
        assert item.raw == text and item.topic_id == page.topic.id
        assert item.reply_to_post_number == parent.post_number
        assert item.draft_key == reply_key(page.topic.id, parent.post_number)
        assert item.since_post_number == page.topic.highest_post_number
        assert app.screen is not screen
        done = await sent(pilot, item)
        assert done.post_id is not None
        made = await backend(app).post(done.post_id)
        assert made.raw == text and made.reply_to_post_number == parent.post_number
        assert made.username == (app.me.username if app.me else "")
        # The outbox owns the text once queued, and removes the draft once it is sent.
        assert app.drafts is not None and app.drafts.load(item.draft_key or "") is None


async def test_a_quote_reply_starts_with_the_attributed_quote() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        quoted = page.posts[1]
        assert quoted.raw
        request = ComposeRequest("reply", topic_id=page.topic.id, reply_to=quoted, quote=quoted)
        screen, _ = await open_composer(pilot, request)
        attribution = (
            f'[quote="{quoted.username}, post:{quoted.post_number}, topic:{page.topic.id}"]'
        )
        assert screen.editor.text.startswith(attribution + "\n" + quoted.raw.strip())
        assert "[/quote]" in screen.editor.text
        assert screen.editor.cursor_location == screen.editor.document.end
        # The preview shows it as the thread shows a quote: who wrote it, and where.
        await pilot.pause(0.3)
        lines = screen.preview.line_texts()
        assert any(f"{quoted.username} wrote in #{quoted.post_number}:" in line for line in lines)
        assert "Quote-reply" in status(screen, "#compose-heading")
        # Opening it only to quote, then cancelling, leaves nothing behind.
        await pilot.press("escape")
        assert app.drafts is not None
        assert app.drafts.load(request.draft_key) is None
        assert not isinstance(app.screen, ComposeScreen | KeepDraftScreen)


async def test_an_edit_starts_from_the_post_and_is_delivered() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        mine = await a_post_of_mine(app, page.topic.id, "First version, with a typo.")
        request = ComposeRequest("edit", topic_id=page.topic.id, post=mine)
        screen, results = await open_composer(pilot, request)
        assert screen.editor.text == "First version, with a typo."
        assert request.draft_key == edit_key(mine.id)
        await pilot.press("ctrl+s")  # an edit that changes nothing is not sent
        assert "nothing changed" in status(screen) and not results
        await pilot.press("backspace", *" Fixed.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, "the composer to close")
        item = results[0]
        assert item is not None and item.kind is OutboxKind.EDIT and item.post_id == mine.id
        await sent(pilot, item)
        assert (await backend(app).post(mine.id)).raw == "First version, with a typo Fixed."


# -- new topics ----------------------------------------------------------------------------------


async def test_a_new_topic_is_checked_before_it_is_queued_and_nothing_is_lost() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen, results = await open_composer(pilot, ComposeRequest("topic"))
        title = screen.query_one("#compose-title", Input)
        assert title.has_focus  # a new topic starts with its title
        await pilot.press("ctrl+s")
        assert "title" in status(screen) and title.has_focus and not results
        await type_text(pilot, "Pairing on SQL window functions")
        await pilot.press("ctrl+s")
        assert "category" in status(screen) and not results
        category = screen.query_one("#compose-category", Select)
        assert category.has_focus
        target = next(c for c in screen.choices.categories if not c.restricted)
        category.value = target.id
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert "empty" in status(screen) and screen.editor.has_focus and not results
        await type_text(pilot, "Who wants to pair on `OVER (PARTITION BY ...)`?")
        screen.query_one("#compose-tags", Input).value = "sql, pairing"
        await pilot.pause()
        # Everything typed so far is in the draft, title, category and tags included.
        assert app.drafts is not None
        draft = app.drafts.load(new_topic_key(None))
        assert draft is not None and draft.title == "Pairing on SQL window functions"
        assert draft.category == target.id and draft.tags == ("sql", "pairing")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, "the composer to close")
        item = results[0]
        assert item is not None and item.kind is OutboxKind.TOPIC
        assert (item.title, item.category_id, item.category_slug, item.tags) == (
            "Pairing on SQL window functions",
            target.id,
            target.slug,
            ("sql", "pairing"),
        )
        done = await sent(pilot, item)
        assert isinstance(done.result, TopicPage)
        made = await backend(app).topic(done.result.topic.id)
        assert made.topic.title == "Pairing on SQL window functions"
        assert made.topic.category_id == target.id
        assert made.posts[0].raw == "Who wants to pair on `OVER (PARTITION BY ...)`?"


async def test_without_an_outbox_nothing_is_sent_and_the_text_stays() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        screen, results = await open_composer(
            pilot, ComposeRequest("reply", topic_id=page.topic.id)
        )
        real, app.outbox = app.outbox, None
        try:
            await type_text(pilot, "kept")
            await pilot.press("ctrl+s")
            assert "not open" in status(screen) and not results
            assert screen.editor.text == "kept"
        finally:
            app.outbox = real


# -- drafts --------------------------------------------------------------------------------------


async def test_every_keystroke_is_a_draft_restored_after_a_crash() -> None:
    topic_id: int
    key: str
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        topic_id = page.topic.id
        request = ComposeRequest("reply", topic_id=topic_id, topic_title=page.topic.title)
        key = request.draft_key
        assert key == reply_key(topic_id)
        screen, results = await open_composer(pilot, request)
        assert app.drafts is not None
        written = ""
        for char in "Half a th":
            await pilot.press(char)
            written += char
            draft = app.drafts.load(key)
            assert draft is not None and draft.raw == written
        # Cancelling with text asks; keeping is the default (enter on the focused button).
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, KeepDraftScreen), "the question")
        await pilot.press("enter")
        await until(pilot, lambda: results, "the composer to close")
        assert results == [None]
        assert app.drafts.load(key) is not None
        # Open again: the draft is back.
        screen, results = await open_composer(pilot, request)
        assert screen.editor.text == "Half a th"
        assert "draft restored from" in status(screen)
        await pilot.press(*"ought")
    # The app is gone without sending (a crash, as far as the draft knows); a new app over
    # the same folders finds it.
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen, _ = await open_composer(pilot, ComposeRequest("reply", topic_id=topic_id))
        assert screen.editor.text == "Half a thought"
        assert "draft restored from" in status(screen)
        # Closed untouched, the draft stays as it was, without a question.
        await pilot.press("escape")
        assert not isinstance(app.screen, ComposeScreen | KeepDraftScreen)
        assert app.drafts is not None and app.drafts.load(key) is not None
        # Discarding, when asked, leaves no draft.
        screen, _ = await open_composer(pilot, ComposeRequest("reply", topic_id=topic_id))
        await pilot.press("!")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, KeepDraftScreen), "the question")
        await pilot.press("d")
        assert app.drafts is not None and app.drafts.load(key) is None


async def test_escape_from_the_question_goes_back_to_writing() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        screen, results = await open_composer(
            pilot, ComposeRequest("reply", topic_id=page.topic.id)
        )
        await type_text(pilot, "not done")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, KeepDraftScreen), "the question")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the composer")
        assert screen.editor.text == "not done" and not results
        # Emptied by hand, it closes without asking and leaves no draft.
        screen.editor.load_text("")
        await pilot.pause()
        await pilot.press("escape")
        assert results == [None]
        assert app.drafts is not None
        assert app.drafts.load(reply_key(page.topic.id)) is None


# -- the preview ---------------------------------------------------------------------------------

RICH = (
    "## Notes from the call\n\n"
    "Thanks @maya, see [the docs](https://example.org/docs) and:\n\n"
    "- one **bold** point\n- a `code` point\n\n"
    "> a quote\n\n"
    "```python\nprint('hi')\n```\n"
)


async def test_the_preview_is_the_threads_own_rendering() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        request = ComposeRequest("reply", topic_id=page.topic.id, topic_title=page.topic.title)
        screen, results = await open_composer(pilot, request)
        screen.editor.load_text(RICH)
        # Narrow: the preview takes the editor's place, full width like the thread.
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        assert not shown(screen.editor) and preview_shown(screen)
        assert screen.preview.region.width == 80
        preview = screen.preview.line_texts()
        assert "Notes from the call" in preview[1]
        await pilot.press("ctrl+o")
        assert shown(screen.editor) and not preview_shown(screen)
        assert screen.editor.has_focus
        # Escape leaves the preview for the editor, as it leaves a thread's pane.
        await pilot.press("ctrl+o", "escape")
        assert shown(screen.editor) and not preview_shown(screen) and app.screen is screen
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, "the composer to close")
        item = results[0]
        assert item is not None
        done = await sent(pilot, item)
        await app.push_screen(ThreadScreen(page.topic.id))
        view = app.screen.query_one(ThreadView)
        await until(
            pilot,
            lambda: any(p.id == done.post_id for p in view.posts),
            "the new post in the thread",
        )
        lines = view.line_texts()
        number = next(p.post_number for p in view.posts if p.id == done.post_id)
        start = next(i for i, line in enumerate(lines) if line.endswith(f"#{number}"))
        body = preview[1:-1]
        assert lines[start + 1 : start + 1 + len(body)] == body
        assert view.region.width == 80  # as wide as the preview was


async def test_the_preview_sits_beside_the_editor_when_wide() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        screen, _ = await open_composer(pilot, ComposeRequest("reply", topic_id=page.topic.id))
        await type_text(pilot, "**live**")
        await pilot.pause(0.3)
        assert shown(screen.editor) and preview_shown(screen)
        assert screen.preview.region.x >= screen.editor.region.right
        assert screen.preview.line_texts()[1].strip() == "live"
        await pilot.press("ctrl+o")
        assert not preview_shown(screen) and screen.editor.region.width > 100


# -- the external editor -------------------------------------------------------------------------


def fake_editor(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-editor"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o700)
    return script


@pytest.fixture
def no_suspend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Pilot has no terminal to hand over; the editor still runs for real."""
    monkeypatch.setattr(external_editor, "suspended", lambda app: contextlib.nullcontext())


async def test_ctrl_e_hands_the_text_to_the_editor_and_takes_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_suspend: None
) -> None:
    seen = tmp_path / "seen"
    script = fake_editor(
        tmp_path,
        # The file is the last argument (the command may carry its own: "--wait").
        f'eval "file=\\${{$#}}"\nstat -c %a "$file" > {seen}.mode\n'
        f'printf "%s" "$file" > {seen}.path\nprintf "\\nadded by the editor\\n" >> "$file"',
    )
    monkeypatch.setenv("VISUAL", f"{script} --wait")
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        screen, _ = await open_composer(pilot, ComposeRequest("reply", topic_id=page.topic.id))
        await type_text(pilot, "typed here")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert screen.editor.text == "typed here\nadded by the editor"
        assert "taken back" in status(screen)
        assert Path(f"{seen}.mode").read_text().strip() == "600"
        assert not Path(Path(f"{seen}.path").read_text()).exists()
        assert app.drafts is not None
        draft = app.drafts.load(reply_key(page.topic.id))
        assert draft is not None and draft.raw == "typed here\nadded by the editor"


async def test_an_editor_that_fails_leaves_the_text_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_suspend: None
) -> None:
    script = fake_editor(tmp_path, 'echo "garbage" > "$1"\nexit 3')
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        screen, _ = await open_composer(pilot, ComposeRequest("reply", topic_id=page.topic.id))
        await type_text(pilot, "precious")
        monkeypatch.setenv("VISUAL", str(script))
        await pilot.press("ctrl+e")
        assert screen.editor.text == "precious"
        assert "exited with status 3" in status(screen)
        monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
        await pilot.press("ctrl+e")
        assert screen.editor.text == "precious"
        assert "could not start" in status(screen)


async def test_without_a_terminal_the_editor_is_refused_plainly() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        screen, _ = await open_composer(pilot, ComposeRequest("reply", topic_id=page.topic.id))
        await type_text(pilot, "stays")
        await pilot.press("ctrl+e")  # the Pilot's driver cannot suspend
        assert screen.editor.text == "stays"
        assert "no terminal" in status(screen)


# -- completion ----------------------------------------------------------------------------------


async def test_at_and_hash_complete_names_and_categories() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        people = tuple(p.username for p in page.posts)
        screen, _ = await open_composer(
            pilot, ComposeRequest("reply", topic_id=page.topic.id, people=people)
        )
        suggestions = screen.query_one(Suggestions)
        await type_text(pilot, "Hi @ma")
        assert suggestions.display and suggestions.current == "maya"
        assert any("@maya" in line for line in screen_lines(app))
        await pilot.press("tab")
        assert screen.editor.text == "Hi @maya "
        assert not active(suggestions) and screen.editor.has_focus
        slug = screen.choices.categories[0].slug
        await type_text(pilot, f"see #{slug[:3]}")
        assert suggestions.current is not None and slug in suggestions.choices
        while suggestions.current != slug:
            await pilot.press("down")
        await pilot.press("enter")
        assert screen.editor.text == f"Hi @maya see #{slug} "
        # Escape closes the suggestions, not the composer; enter is a newline again.
        await type_text(pilot, "@")
        assert active(suggestions)
        await pilot.press("escape")
        assert not active(suggestions) and app.screen is screen
        await pilot.press("enter")
        assert screen.editor.text == f"Hi @maya see #{slug} @\n"


async def test_tags_complete_from_the_cached_topics() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen, _ = await open_composer(pilot, ComposeRequest("topic"))
        known = screen.choices.tags
        assert known, "the sample's topics have tags"
        tag = known[0]
        tags = screen.query_one("#compose-tags", Input)
        tags.focus()
        await type_text(pilot, tag[:2])
        suggestions = screen.query_one(Suggestions)
        assert tag in suggestions.choices
        while suggestions.current != tag:
            await pilot.press("down")
        await pilot.press("tab")
        assert tags.value == f"{tag}, "
        assert tags.has_focus


# -- layout --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_everything_needed_is_on_screen(size: tuple[int, int]) -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        screen, _ = await open_composer(pilot, ComposeRequest("topic"))
        for selector in (
            "#compose-heading",
            "#compose-title",
            "#compose-category",
            "#compose-tags",
            "#compose-editor",
            "#compose-status",
            "Footer",
        ):
            assert inside(screen.query_one(selector), size), selector
        assert screen.editor.region.height >= 10
        footer = screen_lines(app)[-1]
        for shown in ("^s Send", "^e External editor", "^o Preview", "esc Cancel"):
            assert shown in footer, footer
        if size[0] >= compose.WIDE:
            assert preview_shown(screen) and inside(screen.preview, size)


# -- problems sent back by the outbox ------------------------------------------------------------


async def test_a_refused_reply_reopens_with_its_reason_and_goes_as_the_same_item() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        box = outbox(app)
        huge = "too long " * 40_000  # over the server's body limit: refused for good
        queued = box.enqueue_reply(page.topic.id, huge, draft_key=reply_key(page.topic.id))
        app.deliver()
        await until(
            pilot, lambda: box.get(queued.id).problem, "the refusal", lambda: box.get(queued.id)
        )
        refused = box.get(queued.id)
        assert refused.state is OutboxState.REJECTED and refused.reason
        request = ComposeRequest.for_problem(refused, topic_title=page.topic.title)
        screen, results = await open_composer(pilot, request)
        assert screen.editor.text == huge
        problem = status(screen, "#compose-problem")
        assert refused.reason in problem and "refused" in problem
        assert inside(screen.query_one("#compose-problem"), (80, 24))
        screen.editor.load_text("A shorter reply.")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, "the composer to close")
        item = results[0]
        assert item is not None and item.id == queued.id
        done = await sent(pilot, item)
        assert len(box.items()) == 1  # fixed and sent again, not queued twice
        assert (await backend(app).post(done.post_id or 0)).raw == "A shorter reply."


async def test_an_edit_conflict_reopens_and_is_redone_over_the_current_version() -> None:
    app = CohortApp(live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        page = await a_thread(app)
        mine = await a_post_of_mine(app, page.topic.id, "Version one.")
        # Edited elsewhere after this client fetched it: the queued edit will conflict.
        await backend(app).edit_post(mine, "Version two, from the web.")
        box = outbox(app)
        queued = box.enqueue_edit(mine, "My edit over version one.", draft_key=edit_key(mine.id))
        app.deliver()
        await until(
            pilot, lambda: box.get(queued.id).problem, "the conflict", lambda: box.get(queued.id)
        )
        conflict = box.get(queued.id)
        assert conflict.state is OutboxState.CONFLICT
        screen, results = await open_composer(pilot, ComposeRequest.for_problem(conflict))
        assert screen.editor.text == "My edit over version one."
        assert "changed this post" in status(screen, "#compose-problem")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results, "the composer to close")
        item = results[0]
        assert item is not None and item.id == queued.id
        await sent(pilot, item)
        assert (await backend(app).post(mine.id)).raw == "My edit over version one."
        assert len(box.items()) == 1


def test_the_temporary_file_is_private(tmp_path: Path) -> None:
    with external_editor.private_file("secret") as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == "secret"
    assert not path.exists()
