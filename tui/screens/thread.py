"""A thread: the reply tree, with the Resources and Feedback panes beside it.

The thread loads through the repository in an exclusive worker: the cached thread
paints at once, the forum's answer replaces it without moving the reader's selection,
and the status line says which one is showing (fresh, cached and refreshing, or offline).

The panes sit beside the thread when the terminal is wide enough. On a narrower one
(under FOLD_WIDTH columns, 80x24 included) they fold away, and R / F show one of them in
the thread's place until it is toggled off or escape is pressed: a temporary full-width
view cuts nothing off, where an overlay beside the thread would.

Links open in a browser only when asked, only for http/https, and only when this machine
can show one (not over SSH, a display and a graphical browser present); otherwise the
link is copied to the local clipboard through the terminal (OSC 52) and the status says so.

Taking part: replies, quotes and edits open the composer and go through the outbox, so a
reply written offline shows here as pending (⧗) until the forum has it; a reply or edit
the forum refuses reopens the composer with its text and the reason. Likes, reactions,
bookmarks and accepted answers show at once and roll back, with a message, if the forum
says no. The thread follows the change feed (new posts land without moving the reader),
and a post counts as read once it has been on screen, here and on the forum.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum.backend import ForumBackend, ForumError
from tui.forum.document import render_post
from tui.forum.feedback import LIKE, reacted, with_bookmark, with_reaction, with_solution
from tui.forum.models import Freshness, Link, Post, TopicPage, User
from tui.forum.outbox import Outbox, OutboxItem, OutboxKind, OutboxState
from tui.forum.repository import Repository, repository_of
from tui.forum.sanitize import clean_line
from tui.keys import KeysMixin
from tui.links import open_link
from tui.messages import ForumChanged, OutboxUpdate
from widgets.feedback_pane import FeedbackPane
from widgets.formatting import marks_for, state_content
from widgets.resources_pane import ResourcesPane
from widgets.thread_view import ThreadView

FOLD_WIDTH = 110  # narrower than this, the panes fold away
SEEN_EVERY = 1.0  # seconds between looks at which posts are on screen (read marks)
REACTORS_AFTER = 0.3  # seconds the selection rests before asking who reacted
Pane = Literal["resources", "feedback"]


def document_links(posts: Sequence[Post]) -> list[Link]:
    """Every link of the thread read out of its posts, for forums without a link index."""
    found: list[Link] = []
    for post in sorted(posts, key=lambda p: p.post_number):
        if post.deleted or post.pending:
            continue
        for link in render_post(post).links:
            title = link.text if link.text != link.url else None
            found.append(
                Link(
                    url=link.url,
                    username=post.username,
                    post_id=post.id,
                    post_number=post.post_number,
                    topic_id=post.topic_id,
                    title=title,
                    created_at=post.created_at,
                )
            )
    return found


class ThreadScreen(KeysMixin, Screen[None]):
    BINDINGS = keymap.bindings("thread")
    KEY_CONTEXT = "thread"

    def __init__(self, topic_id: int, *, post_number: int | None = None) -> None:
        """Show topic `topic_id`, opened at `post_number` when given (a search result)."""
        super().__init__(name="thread")
        # Textual draws on stderr; ASCII marks when its encoding cannot carry ✓.
        self.marks = marks_for(getattr(sys.__stderr__, "encoding", None))
        self.topic_id = topic_id
        self.target = post_number  # selected once it has loaded
        self.page: TopicPage | None = None
        self.posts: tuple[Post, ...] = ()
        self.last_read: int | None = None  # as it was when the reader arrived
        self.read_up_to = 0  # what this visit has told the repository
        self._placed: int | None = None  # where the screen put the selection on opening
        self._opened = False  # whether posts have been shown yet
        self._loaded = False  # whether a load has finished (the opening place is chosen)
        self.panes: set[Pane] = {"resources", "feedback"}  # beside the thread, when wide
        self.overlay: Pane | None = None  # in the thread's place, when narrow
        self._state = Content.styled("opening…", "$text-muted")
        self._notice = Content("")
        self._pending: tuple[Post, ...] = ()  # replies still in the outbox
        self._changes = 0  # optimistic changes not yet answered (a reload waits for them)
        self._reactors_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="thread-body"):
            yield ThreadView(id="thread-view", marks=self.marks)
            with Vertical(id="thread-side"):
                yield ResourcesPane(id="resources")
                yield FeedbackPane(id="feedback")
        yield Static(id="thread-status")
        yield Footer()

    @property
    def view(self) -> ThreadView:
        return self.query_one(ThreadView)

    @property
    def resources(self) -> ResourcesPane:
        return self.query_one(ResourcesPane)

    @property
    def feedback(self) -> FeedbackPane:
        return self.query_one(FeedbackPane)

    @property
    def narrow(self) -> bool:
        return self.size.width < FOLD_WIDTH

    def on_mount(self) -> None:
        self.feedback.show(None, None, ())
        self._arrange()
        self.view.focus()
        self._show_status()
        self._read_pending()
        self.load()
        self.set_interval(SEEN_EVERY, self._note_seen)

    def on_screen_resume(self) -> None:
        self._read_pending()
        if self.page is not None:
            self._show_posts()
        self._offer_problems()

    def on_resize(self, event: Resize) -> None:
        self._arrange()

    # -- loading ------------------------------------------------------------------------------

    def repo(self) -> Repository | None:
        return repository_of(self.app)

    def _backend(self) -> ForumBackend | None:
        repo = self.repo()
        return repo.backend if repo is not None else None

    def _me(self) -> User | None:
        me = getattr(self.app, "me", None)
        return me if isinstance(me, User) else None

    def _outbox(self) -> Outbox | None:
        outbox = getattr(self.app, "outbox", None)
        return outbox if isinstance(outbox, Outbox) else None

    @work(exclusive=True, group="thread")
    async def load(self) -> None:
        """The cached thread first, then the forum's; the reader's selection stays put."""
        repo = self.repo()
        while repo is None:  # started before the forum was opened (`cohort open TOPIC`)
            await asyncio.sleep(0.05)
            repo = self.repo()
        self._set_state(loading=True)
        final: TopicPage | None = None
        try:
            # Only a first opening paints a long thread's first screenful first: a reload
            # must not shrink what the reader is looking at.
            async for answer in repo.thread(self.topic_id, first_screen=self.page is None):
                if answer.value is not None:
                    self._paint(answer.value)
                    final = answer.value
                self._answered(answer.value, answer.freshness, answer.error, answer.complete)
                if answer.error is not None and answer.value is None:
                    return
        except Exception as exc:  # a bug must not take the whole TUI down; say what broke
            self.log.error("loading the thread failed", exc)
            self._set_state(error=f"{type(exc).__name__}: {clean_line(str(exc))}")
            return
        if final is None:
            return
        self._loaded = True  # later answers (refresh, live updates) never move the reader
        if self.target is not None:
            self._say(f"post #{self.target} is not in this thread")
            self.target = None
        self.load_links(final.posts)
        self._offer_problems()

    def _paint(self, page: TopicPage) -> None:
        if not self.read_up_to:
            # Until this visit marks anything read, each answer knows the last visit
            # better than the one before (a cached topic list can lag behind the forum).
            # Never visited by a reader the forum knows: every post is new to them.
            last = page.topic.last_read_post_number
            self.last_read = 0 if last is None and self._me() is not None else last
        self.page = page
        self.posts = page.posts
        view = self.view
        self._show_posts()
        if self.target is not None and view.select(self.target):
            self.target = None
            self._placed = None
            self._opened = True
        elif self.target is None and self._place_again(view):
            view.first()
            if self.last_read:
                view.unread(1)  # straight to what is new since the last visit
            chosen = view.selected
            self._placed = chosen.post_number if chosen is not None else None
        self._show_feedback()

    def _place_again(self, view: ThreadView) -> bool:
        """Whether the opening selection may be (re)chosen: nothing is selected yet, or
        the reader has not moved from where the screen put them while the thread loads."""
        if not self.posts or self._loaded:
            return False
        current = view.selected
        if current is None or not self._opened:
            self._opened = True
            return True
        return not self.read_up_to and current.post_number == self._placed

    def _answered(
        self,
        page: TopicPage | None,
        freshness: Freshness,
        error: ForumError | None,
        complete: bool,
    ) -> None:
        if error is not None and (page is None or freshness is not Freshness.OFFLINE):
            self._set_state(error=error.message)
        elif freshness is Freshness.FRESH and not complete and page is not None:
            self._set_state(loading=True)
        else:
            self._set_state(freshness=freshness)

    def _show_posts(self) -> None:
        """Show the thread's posts and this topic's replies still in the outbox."""
        page = self.page
        if page is None:
            return
        me = self._me()
        self.view.reader = me.username if me is not None else ""
        self.view.show(
            page,
            (*self.posts, *self._pending),
            last_read_post_number=self.last_read,
            keep_selection=True,
        )
        self._show_feedback()
        self._show_status()

    def _read_pending(self) -> None:
        """This topic's replies waiting in the outbox (or refused), shown as pending."""
        outbox, me = self._outbox(), self._me()
        items: list[OutboxItem] = []
        if outbox is not None:
            try:
                items = [
                    i
                    for i in outbox.items()
                    if i.kind is OutboxKind.REPLY
                    and i.topic_id == self.topic_id
                    and (i.pending or i.problem)
                ]
            except Exception as exc:  # the state file is local; say it in the log
                self.log.error("reading the outbox failed", exc)
        username = me.username if me is not None else "you"
        self._pending = tuple(i.as_pending_post(username) for i in items)

    # -- read marks: a post is read once it has been on screen -----------------------------------

    def _note_seen(self) -> None:
        if not self.is_current or self.page is None or not self.view.display:
            return
        seen = max((p.post_number for p in self.view.on_screen() if not p.pending), default=0)
        if seen > max(self.read_up_to, self.last_read or 0):
            self.read_up_to = seen
            self.mark_read(seen)

    @work(exclusive=True, group="thread-read")
    async def mark_read(self, post_number: int) -> None:
        """Tell the repository (and through it the forum, batched: at most once per
        SEEN_EVERY) that the reader has seen the thread up to `post_number`."""
        repo = self.repo()
        if repo is None:
            return
        try:
            await repo.mark_read(self.topic_id, post_number)
        except Exception as exc:  # the cache is local; a failure here is worth a log only
            self.log.error("marking the thread read failed", exc)

    @work(exclusive=True, group="thread-links")
    async def load_links(self, posts: Sequence[Post]) -> None:
        """The forum's own index of the thread's links when it keeps one; otherwise (or
        offline) the links read out of the posts, off the event loop: a long thread has
        many posts to parse."""
        repo = self.repo()
        if repo is None:
            return
        links: list[Link] | None = None
        try:
            features: frozenset[str] = frozenset()
            async for site in repo.site():
                if site.value is not None:
                    features = site.value.features
            if "links" in features:
                links = await repo.backend.topic_links(self.topic_id)
        except ForumError as exc:  # offline or refused: read them out of the posts
            self.log.info("the thread's links could not be fetched", exc.message)
        if links is None:
            links = await asyncio.to_thread(document_links, posts)
        with contextlib.suppress(NoMatches):  # the reader left: the screen is closing
            self.resources.show(links)

    # -- the panes ------------------------------------------------------------------------------

    def _arrange(self) -> None:
        """Show the panes the reader asked for, as the terminal's width allows."""
        narrow = self.narrow
        shown: set[Pane] = ({self.overlay} if self.overlay else set()) if narrow else self.panes
        self.set_class(narrow, "-narrow")
        self.set_class(narrow and self.overlay is not None, "-overlay")
        self.resources.display = "resources" in shown
        self.feedback.display = "feedback" in shown
        self.query_one("#thread-side").display = bool(shown)
        self.view.display = not (narrow and self.overlay is not None)
        focused = self.focused
        if narrow and self.overlay is not None:
            pane: Widget = self.resources if self.overlay == "resources" else self.feedback
            if focused is not pane:
                pane.focus()
        elif focused is None or not focused.display or not self._visible(focused):
            self.view.focus()

    def _visible(self, widget: Widget) -> bool:
        node: Widget | None = widget
        while isinstance(node, Widget):
            if not node.display:
                return False
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return True

    def _toggle(self, pane: Pane) -> None:
        if self.narrow:
            self.overlay = None if self.overlay == pane else pane
        else:
            self.panes ^= {pane}
            self.overlay = None
        self._arrange()

    def action_toggle_resources(self) -> None:
        self._toggle("resources")

    def action_toggle_feedback(self) -> None:
        self._toggle("feedback")

    @on(ThreadView.Selected)
    def _selected(self, event: ThreadView.Selected) -> None:
        self._show_feedback()

    def _show_feedback(self) -> None:
        selected = self.view.selected
        self.feedback.show(selected, self.page, self.posts)
        wanted = selected is not None and selected.reactions and not selected.pending
        if selected is not None and wanted and self.feedback.reactors_of(selected.id) is None:
            if self._reactors_timer is not None:
                self._reactors_timer.stop()
            self._reactors_timer = self.set_timer(
                REACTORS_AFTER, lambda: self._ask_reactors(selected.id)
            )

    def _ask_reactors(self, post_id: int) -> None:
        selected = self.view.selected
        if selected is not None and selected.id == post_id and self._visible(self.feedback):
            self.load_reactors(post_id)

    @work(exclusive=True, group="thread-reactors")
    async def load_reactors(self, post_id: int) -> None:
        """Who reacted to the selected post: asked only when the pane shows it."""
        backend = self._backend()
        if backend is None:
            return
        try:
            reactors = await backend.reactors(post_id)
        except ForumError as exc:  # the counts stay; names are a nicety
            self.log.info("who reacted could not be fetched", exc.message)
            return
        with contextlib.suppress(NoMatches):  # the reader left: the screen is closing
            self.feedback.show_reactors(post_id, reactors)

    @on(ResourcesPane.Jump)
    def _jump(self, event: ResourcesPane.Jump) -> None:
        self.overlay = None
        self._arrange()
        if self.view.select(event.link.post_number):
            self.view.focus()
            number = self.resources.number_of(event.link)
            self._say(f"post #{event.link.post_number}, where link [{number}] was shared")
        else:
            self._say(f"post #{event.link.post_number} is not loaded")

    # -- moving around --------------------------------------------------------------------------

    def _in_resources(self) -> bool:
        return self.focused is self.resources

    def _in_feedback(self) -> bool:
        return self.focused is self.feedback

    def _repeat(self, move: Callable[[], bool]) -> bool:
        """`move()` as many times as the count says (once without one), stopping where
        it can go no further; whether it moved at all."""
        moved = False
        for _ in range(max(1, self.count_or(1))):
            if not move():
                break
            moved = True
        return moved

    def _goto(self, number: int) -> None:
        if not self.view.select(number):
            self._say(f"there is no post #{number} here")

    def action_down(self) -> None:
        steps = max(1, self.count_or(1))
        if self._in_resources():
            for _ in range(steps):
                self.resources.action_cursor_down()
        elif self._in_feedback():
            self.feedback.scroll_relative(y=steps, animate=False)
        else:
            self.view.move(steps)

    def action_up(self) -> None:
        steps = max(1, self.count_or(1))
        if self._in_resources():
            for _ in range(steps):
                self.resources.action_cursor_up()
        elif self._in_feedback():
            self.feedback.scroll_relative(y=-steps, animate=False)
        else:
            self.view.move(-steps)

    def action_first(self) -> None:
        """The first post ("12 g g": post 12, as in vim)."""
        if self._in_resources():
            self.resources.action_first()
        elif self._in_feedback():
            self.feedback.scroll_home(animate=False)
        elif self.count:
            self._goto(self.count)
        else:
            self.view.first()

    def action_last(self) -> None:
        """The last post ("12 G": post 12)."""
        if self._in_resources():
            self.resources.action_last()
        elif self._in_feedback():
            self.feedback.scroll_end(animate=False)
        elif self.count:
            self._goto(self.count)
        else:
            self.view.last()

    def action_goto(self) -> None:
        """ "12 enter": post 12."""
        if self.count:
            self._goto(self.count)
        else:
            self._say("type a post number, then enter (or G)")

    def action_next_unread(self) -> None:
        if not self._repeat(lambda: self.view.unread(1)):
            self._say("no unread post further on")

    def action_prev_unread(self) -> None:
        if not self._repeat(lambda: self.view.unread(-1)):
            self._say("no unread post before this one")

    def action_parent(self) -> None:
        if not self._repeat(self.view.parent_post):
            self._say("this post does not reply to another")

    def action_next_sibling(self) -> None:
        if not self._repeat(lambda: self.view.sibling(1)):
            self._say("no later reply to the same post")

    def action_prev_sibling(self) -> None:
        if not self._repeat(lambda: self.view.sibling(-1)):
            self._say("no earlier reply to the same post")

    def action_collapse(self) -> None:
        if not self.view.toggle_collapse():
            self._say(
                "no replies to fold here"
                if self.view.order == "tree"
                else "folding needs the tree (t)"
            )

    def action_toggle_order(self) -> None:
        self.view.toggle_order()
        self._say("chronological order" if self.view.order == "chrono" else "reply tree")

    def action_solved(self) -> None:
        page = self.page
        number = page.topic.solution_post_number if page is not None else None
        if number is None:
            number = next((p.post_number for p in self.posts if p.accepted), None)
        if number is None:
            self._say("this thread has no accepted answer")
        elif not self.view.select(number):
            self._say(f"the accepted answer (post #{number}) is not loaded")

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        """Out of a pane back to the thread first; from the thread, off the screen."""
        if self.narrow and self.overlay is not None:
            self.overlay = None
            self._arrange()
        elif self._in_resources() or self._in_feedback():
            self.view.focus()
        else:
            self.dismiss(None)

    # -- taking part: writing -------------------------------------------------------------------

    def _writable(self) -> bool:
        """Whether a post can be written now (the forum open, someone to write as)."""
        if self.page is None:
            self._say("the thread has not loaded yet")
            return False
        if self._outbox() is None:
            self._say("sending is off: the state file could not be opened")
            return False
        if self._me() is None:
            self._say("you are not logged in to this forum (g f adds a login)")
            return False
        return True

    def _target_post(self) -> Post | None:
        post = self.view.selected
        if post is None:
            self._say("no post is selected")
        elif post.pending:
            self._say("that post is still being sent")
            return None
        elif post.deleted:
            self._say("that post was deleted")
            return None
        return post

    def _open_composer(self, **fields: object) -> None:
        from tui.screens.compose import ComposeRequest, ComposeScreen

        page = self.page
        assert page is not None
        people = tuple(dict.fromkeys(p.username for p in self.posts if p.username))
        request = ComposeRequest(
            topic_id=self.topic_id,
            topic_title=page.topic.title,
            people=people,
            since_post_number=max((p.post_number for p in self.posts), default=0),
            **fields,  # type: ignore[arg-type]
        )
        self.app.push_screen(ComposeScreen(request), self._composed)

    def _composed(self, item: OutboxItem | None) -> None:
        if item is None:
            return
        self._read_pending()
        self._show_posts()
        self._say("edit queued" if item.kind is OutboxKind.EDIT else "reply queued")

    def action_reply(self) -> None:
        post = self._target_post() if self.page is not None else None
        if post is not None and self._writable():
            self._open_composer(kind="reply", reply_to=post)

    def action_reply_topic(self) -> None:
        if self._writable():
            self._open_composer(kind="reply")

    def action_quote(self) -> None:
        post = self._target_post() if self.page is not None else None
        if post is not None and self._writable():
            self._open_composer(kind="reply", reply_to=post, quote=post)

    def action_edit(self) -> None:
        post = self._target_post() if self.page is not None else None
        if post is None or not self._writable():
            return
        if not self._may_change(post):
            self._say("you can edit only your own posts")
            return
        self._open_composer(kind="edit", post=post)

    def _may_change(self, post: Post) -> bool:
        me = self._me()
        return post.can_edit or (me is not None and (me.username == post.username))

    def action_delete(self) -> None:
        post = self._target_post() if self.page is not None else None
        if post is None:
            return
        if not self._may_change(post):
            self._say("you can delete only your own posts")
            return
        from tui.screens.confirm import ConfirmScreen

        what = "the whole topic" if post.post_number == 1 else f"post #{post.post_number}"
        question = Content.assemble("Delete ", (what, "bold"), "? This cannot be undone.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(post)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(group="thread-write")
    async def _delete(self, post: Post) -> None:
        backend, repo = self._backend(), self.repo()
        if backend is None or repo is None:
            self._say("the forum is not open yet")
            return
        self._say(f"deleting post #{post.post_number}…")
        try:
            await backend.delete_post(post.id)
        except ForumError as exc:
            self.notify(
                f"Post #{post.post_number} was not deleted: {exc.message}",
                severity="warning",
                markup=False,
            )
            self._say("not deleted")
            return
        await repo.forget_post(post.id)
        if post.post_number == 1:
            self.notify("The topic was deleted.")
            self.dismiss(None)
            return
        self.posts = tuple(
            dataclasses.replace(p, deleted=True) if p.id == post.id else p for p in self.posts
        )
        self._show_posts()
        self._say(f"post #{post.post_number} deleted")

    def _offer_problems(self) -> None:
        """A reply or edit of this topic the forum refused: back into the composer with
        its text and the reason (once per item and run; the inbox of problems keeps it)."""
        outbox = self._outbox()
        if outbox is None or not self.is_current or self.page is None:
            return
        offered = getattr(self.app, "problems_offered", None)
        if not isinstance(offered, set):
            return
        try:
            problems = [
                i for i in outbox.problems() if i.topic_id == self.topic_id and i.id not in offered
            ]
        except Exception as exc:
            self.log.error("reading the outbox failed", exc)
            return
        if not problems:
            return
        item = problems[0]
        offered.add(item.id)
        from tui.screens.compose import ComposeRequest, ComposeScreen

        page = self.page
        people = tuple(dict.fromkeys(p.username for p in self.posts if p.username))
        request = ComposeRequest.for_problem(item, topic_title=page.topic.title, people=people)
        self.app.push_screen(ComposeScreen(request), self._composed)

    @on(OutboxUpdate)
    def _outbox_moved(self, event: OutboxUpdate) -> None:
        mine = [o for o in event.outcomes if o.item.topic_id == self.topic_id]
        if not mine:
            return
        self._read_pending()
        if any(o.item.state is OutboxState.SENT for o in mine):
            self.load()  # the cache has the sent post: the reply takes its place
        elif self.page is not None:
            self._show_posts()
        self._offer_problems()

    @on(ForumChanged)
    def _forum_changed(self, event: ForumChanged) -> None:
        result = event.result
        if (self.topic_id in result.topic_ids or result.reset) and not self._changes:
            self.load()  # keeps the reader's place; new posts appear where they belong

    # -- taking part: feedback -------------------------------------------------------------------

    def _feedback_target(self, what: str) -> tuple[Post, ForumBackend] | None:
        post = self._target_post()
        if post is None:
            return None
        backend = self._backend()
        if backend is None:
            self._say(f"the forum is not open yet: nothing to {what}")
            return None
        if self._me() is None:
            self._say(f"log in to {what} posts (g f)")
            return None
        return post, backend

    def _replace_post(self, post: Post) -> None:
        self.posts = tuple(post if p.id == post.id else p for p in self.posts)
        self._show_posts()

    def _current(self, post_id: int) -> Post | None:
        return next((p for p in self.posts if p.id == post_id), None)

    def action_like(self) -> None:
        self._toggle_reaction(LIKE)

    def action_react(self) -> None:
        target = self._feedback_target("react to")
        if target is None:
            return
        post, _backend = target
        self._pick_reaction(post)

    @work(group="thread-feedback")
    async def _pick_reaction(self, post: Post) -> None:
        from tui.screens.react import ReactScreen

        names: tuple[str, ...] = (LIKE,)
        repo = self.repo()
        if repo is not None:
            async for site in repo.site():
                if site.value is not None:
                    names = site.value.reactions or names
        mine = [r.name for r in post.reactions if r.reacted]
        chosen = await self.app.push_screen_wait(ReactScreen(names, mine))
        if chosen:
            self._toggle_reaction(chosen)

    def _toggle_reaction(self, name: str) -> None:
        target = self._feedback_target("react to" if name != LIKE else "like")
        if target is None:
            return
        post, backend = target
        on = not reacted(post, name)
        self._replace_post(with_reaction(post, name, on))
        self._say(f"{'' if on else 'un'}{'liked' if name == LIKE else 'reacted ' + name}")
        self._send_reaction(backend, post, name, on)

    @work(group="thread-feedback")
    async def _send_reaction(
        self, backend: ForumBackend, before: Post, name: str, on: bool
    ) -> None:
        self._changes += 1
        try:
            updated = await backend.react(before.id, name, on)
        except ForumError as exc:
            current = self._current(before.id)
            if current is not None:
                self._replace_post(with_reaction(current, name, not on))
            what = "like" if name == LIKE else f"reaction {name}"
            self.notify(
                f"Your {what} was not recorded: {exc.message}",
                title="Rolled back",
                severity="warning",
                markup=False,
            )
            self._say(f"{what} rolled back: {exc.message}")
            return
        finally:
            self._changes -= 1
        self._replace_post(updated)
        repo = self.repo()
        if repo is not None:
            await repo.remember_post(updated)

    def action_bookmark(self) -> None:
        target = self._feedback_target("bookmark")
        if target is None:
            return
        post, backend = target
        on = not post.bookmarked
        self._replace_post(with_bookmark(post, on))
        self._say("bookmarked" if on else "bookmark removed")
        self._send_bookmark(backend, post, on)

    @work(group="thread-feedback")
    async def _send_bookmark(self, backend: ForumBackend, before: Post, on: bool) -> None:
        self._changes += 1
        try:
            await backend.bookmark(before.id, on)
        except ForumError as exc:
            current = self._current(before.id)
            if current is not None:
                self._replace_post(with_bookmark(current, not on))
            self.notify(
                f"The bookmark was not {'kept' if on else 'removed'}: {exc.message}",
                title="Rolled back",
                severity="warning",
                markup=False,
            )
            self._say(f"bookmark rolled back: {exc.message}")
            return
        finally:
            self._changes -= 1
        repo = self.repo()
        current = self._current(before.id)
        if repo is not None and current is not None:
            await repo.remember_post(current)

    def action_accept(self) -> None:
        target = self._feedback_target("accept")
        page = self.page
        if target is None or page is None:
            return
        post, backend = target
        me = self._me()
        assert me is not None
        if me.username != page.topic.username and not me.is_moderator:
            self._say("only the topic's author or a moderator can accept an answer")
            return
        if post.post_number == 1:
            self._say("the question itself cannot be its answer")
            return
        chosen = None if post.accepted else post.id  # a again takes it back
        before = (page, self.posts)
        self.page, self.posts = with_solution(page, self.posts, chosen)
        self._show_posts()
        self._say("accepted as the answer" if chosen else "no longer the accepted answer")
        self._send_solution(backend, before, chosen)

    @work(exclusive=True, group="thread-solution")
    async def _send_solution(
        self,
        backend: ForumBackend,
        before: tuple[TopicPage, tuple[Post, ...]],
        chosen: int | None,
    ) -> None:
        self._changes += 1
        try:
            await backend.set_solution(self.topic_id, chosen)
        except ForumError as exc:
            page = self.page
            if page is not None:
                previous = next((p.id for p in before[1] if p.accepted), None)
                self.page, self.posts = with_solution(page, self.posts, previous)
                self._show_posts()
            self.notify(
                f"The answer was not {'accepted' if chosen else 'taken back'}: {exc.message}",
                title="Rolled back",
                severity="warning",
                markup=False,
            )
            self._say(f"rolled back: {exc.message}")
            return
        finally:
            self._changes -= 1
        repo = self.repo()
        if repo is not None:
            for post in self.posts:
                if post.accepted or any(p.id == post.id and p.accepted for p in before[1]):
                    await repo.remember_post(post)

    # -- links ------------------------------------------------------------------------------------

    def _chosen_link(self, count: int | None) -> Link | None:
        """The highlighted resource when the Resources pane has focus; otherwise link
        [count] of the selected post (its first link without a count)."""
        if self._in_resources():
            link = self.resources.highlighted_link
            if link is None:
                self._say("no link is highlighted")
            return link
        post = self.view.selected
        if post is None:
            self._say("no post is selected")
            return None
        links = self.view.links_of(post)
        number = count or 1
        if not links:
            self._say(f"post #{post.post_number} has no links")
            return None
        if not 1 <= number <= len(links):
            self._say(f"post #{post.post_number} has links [1] to [{len(links)}]")
            return None
        doc = links[number - 1]
        return Link(
            url=doc.url,
            username=post.username,
            post_id=post.id,
            post_number=post.post_number,
            topic_id=post.topic_id,
            title=doc.text,
        )

    def action_copy_link(self) -> None:
        link = self._chosen_link(self.count)
        if link is not None:
            self.app.copy_to_clipboard(link.url)
            self._say("copied ", link.url)

    def action_open_link(self) -> None:
        link = self._chosen_link(self.count)
        if link is None:
            return
        open_link(self, link.url, self._say)

    # -- status line ----------------------------------------------------------------------------

    def _say(self, message: str, detail: str = "") -> None:
        """A note for the reader; `detail` (a URL, maybe from the forum) is shown as text."""
        self._notice = Content.assemble(message, (detail, "underline") if detail else "")
        self._show_status()

    def _set_state(
        self, *, loading: bool = False, error: str = "", freshness: Freshness | None = None
    ) -> None:
        self._state = state_content(loading=loading, error=error, freshness=freshness)
        self._show_status()

    def _show_status(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            (str(getattr(self.app, "source", "")), "bold")
        ]
        page = self.page
        if page is not None:
            parts += [" · ", (page.topic.title, "bold")]
            live = [p for p in self.posts if not p.deleted]
            total = max(page.topic.posts_count, len(live))
            count = f"{len(live)} of {total} posts" if len(live) < total else f"{total} posts"
            parts += [" · ", count]
            if self.last_read is not None:
                mine = self.view.reader
                new = sum(1 for p in live if p.post_number > self.last_read and p.username != mine)
                if new:
                    parts.append(f" · {new} new")
        parts += [" · ", self._state]
        if self._notice.plain:
            parts += ["\n", self._notice]
        self.query_one("#thread-status", Static).update(Content.assemble(*parts))
