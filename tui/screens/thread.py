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
"""

from __future__ import annotations

import asyncio
import os
import sys
import webbrowser
from collections.abc import Callable, Sequence
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum.backend import ForumError
from tui.forum.document import is_openable, render_post
from tui.forum.models import Freshness, Link, Post, TopicPage
from tui.forum.repository import Repository
from tui.forum.sanitize import clean_line
from tui.keys import KeysMixin
from widgets.feedback_pane import FeedbackPane
from widgets.formatting import marks_for, state_content
from widgets.resources_pane import ResourcesPane
from widgets.thread_view import ThreadView

FOLD_WIDTH = 110  # narrower than this, the panes fold away
Pane = Literal["resources", "feedback"]
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
        self.panes: set[Pane] = {"resources", "feedback"}  # beside the thread, when wide
        self.overlay: Pane | None = None  # in the thread's place, when narrow
        self._state = Content.styled("opening…", "$text-muted")
        self._notice = Content("")

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
        self.load()

    def on_resize(self, event: Resize) -> None:
        self._arrange()

    # -- loading ------------------------------------------------------------------------------

    def repo(self) -> Repository | None:
        repo = getattr(self.app, "repo", None)
        return repo if isinstance(repo, Repository) else None

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
            async for answer in repo.thread(self.topic_id):
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
        if self.target is not None:
            self._say(f"post #{self.target} is not in this thread")
            self.target = None
        self.mark_read(final)
        self.load_links(final.posts)

    def _paint(self, page: TopicPage) -> None:
        if not self.read_up_to:
            # Until this visit marks anything read, each answer knows the last visit
            # better than the one before (a cached topic list can lag behind the forum).
            self.last_read = page.topic.last_read_post_number
        self.page = page
        self.posts = page.posts
        view = self.view
        view.show(page, page.posts, last_read_post_number=self.last_read, keep_selection=True)
        if self.target is not None and view.select(self.target):
            self.target = None
            self._placed = None
            self._opened = True
        elif self.target is None and self._place_again(view):
            view.first()
            if self.last_read is not None:
                view.unread(1)  # straight to what is new since the last visit
            chosen = view.selected
            self._placed = chosen.post_number if chosen is not None else None
        self._show_feedback()

    def _place_again(self, view: ThreadView) -> bool:
        """Whether the opening selection may be (re)chosen: nothing is selected yet, or
        the reader has not moved from where the screen put them while the thread loads."""
        if not self.posts:
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

    @work(exclusive=True, group="thread-read")
    async def mark_read(self, page: TopicPage) -> None:
        """Tell the repository the reader has seen the thread up to its last loaded post."""
        repo = self.repo()
        shown = max((p.post_number for p in page.posts if not p.pending), default=0)
        if repo is None or shown <= max(self.read_up_to, self.last_read or 0):
            return
        self.read_up_to = shown
        try:
            await repo.mark_read(self.topic_id, shown)
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
        self.feedback.show(self.view.selected, self.page, self.posts)

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
        if not is_openable(link.url):
            self._say("not opened (only http and https links open): ", link.url)
            return
        browser = local_browser()
        if browser is None:
            self.app.copy_to_clipboard(link.url)
            why = "over SSH" if over_ssh() else "no browser here"
            self._say(f"{why}: copied instead ", link.url)
            return
        self._launch(browser, link.url)

    @work(thread=True, exclusive=True, group="thread-browser")
    def _launch(self, browser: webbrowser.BaseBrowser, url: str) -> None:
        """Start the browser off the event loop (some controllers wait for it)."""
        try:
            opened = browser.open(url, new=2)
        except Exception:  # any failure of someone else's program: fall back to copying
            opened = False
        self.app.call_from_thread(self._launched, url, opened)

    def _launched(self, url: str, opened: bool) -> None:
        if opened:
            self._say("opened ", url)
        else:
            self.app.copy_to_clipboard(url)
            self._say("the browser did not start: copied instead ", url)

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
                new = sum(1 for p in live if p.post_number > self.last_read)
                if new:
                    parts.append(f" · {new} new")
        parts += [" · ", self._state]
        if self._notice.plain:
            parts += ["\n", self._notice]
        self.query_one("#thread-status", Static).update(Content.assemble(*parts))
