"""People and mentors (g p): find someone by expertise or words (f) and only those open to
mentoring (o); enter shows a profile (bio, expertise, mentoring time, groups, recent
posts; enter on a post opens its thread there), and m starts a private conversation with
the highlighted person in one step.

In the find field, a word that is one of the community's expertise tags (or `#tag`)
filters by that tag; other words look in names and bios.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Input, Static

from tui import keymap
from tui.forum.community import Person
from tui.forum.sanitize import clean_line
from tui.screens.community_base import EMPTY_CSS, LIST_CSS, STATUS_CSS, CommunityScreen
from widgets.community_tables import NearEnd, PeopleTable, RecentPostTable
from widgets.community_text import person_about
from widgets.row_table import RowTable


def start_conversation(screen: CommunityScreen, username: str) -> None:
    """The composer for a new private message, addressed to `username` (not to oneself)."""
    me = getattr(getattr(screen.app, "me", None), "username", None)
    if username == me:
        screen.say("that is you: pick someone else to write to")
        return
    from tui.screens.messages import write_privately

    if not write_privately(screen, [username]):
        screen.say("sending is off: the state file could not be opened")


class PeopleScreen(CommunityScreen):
    BINDINGS = keymap.bindings("people")
    KEY_CONTEXT = "people"
    FEATURE = "people"
    WHAT = "people"

    DEFAULT_CSS = f"""
    PeopleScreen #people-filter {{ display: none; height: 3; border: tall $accent; }}
    PeopleScreen #people-list {{ {LIST_CSS} }}
    PeopleScreen #people-list:focus {{ border-top: solid $accent; }}
    PeopleScreen #people-empty {{ {EMPTY_CSS} }}
    PeopleScreen #people-bio {{
        height: auto; max-height: 4; padding: 0 1;
        border-top: solid $panel-lighten-2; background: $surface;
    }}
    PeopleScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self, *, mentors: bool = False) -> None:
        super().__init__("people")
        self.mentors = mentors
        self.expertise: str | None = None
        self.words: str | None = None
        self.tags: list[str] = []  # the expertise tags in use, as the forum counted them
        self.loaded_once = False
        # Paging: the next page's offset, for the filters it was asked with.
        self.next_offset: int | None = None
        self._paged_for: tuple[str | None, bool, str | None] | None = None
        self._paging = False
        self._paging_failed = False

    def compose(self) -> ComposeResult:
        yield Input(
            id="people-filter",
            placeholder="an expertise tag or words (enter: find, empty: everyone, escape: cancel)",
            select_on_focus=False,
        )
        yield PeopleTable(id="people-list")
        yield Static(id="people-empty")
        yield Static(id="people-bio")
        yield Static(classes="community-status")
        yield Footer()

    @property
    def table(self) -> PeopleTable:
        return self.query_one(PeopleTable)

    def on_mount(self) -> None:
        self._show_title()
        self._show_status()
        self.table.focus()
        self.load()

    def status_words(self) -> str:
        if not self.loaded_once:
            return ""
        count = len(self.table.people)
        more = " (more below)" if self.next_offset is not None else ""
        return f" · {count} {'person' if count == 1 else 'people'}{more}"

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self.focused is self.table and self.table.highlighted is not None
        return True

    def action_back(self) -> None:
        if self.query_one("#people-filter", Input).display:
            self._close_filter()
        else:
            self.dismiss(None)

    def action_open(self) -> None:
        person = self.table.highlighted
        if person is not None:
            self.app.push_screen(ProfileScreen(person.username, person=person))

    def action_find(self) -> None:
        field = self.query_one("#people-filter", Input)
        field.value = f"#{self.expertise}" if self.expertise else (self.words or "")
        field.display = True
        field.focus()

    def action_mentors(self) -> None:
        if not self.mentors and self.unsupported_mentors():
            return
        self.mentors = not self.mentors
        self._show_title()
        self.load()

    def unsupported_mentors(self) -> bool:
        backend = getattr(self.app, "backend", None)
        if backend is None:
            return False
        from tui.forum.community import community_of

        community = community_of(backend)
        reason = community.unsupported("mentors") if community is not None else None
        if reason:
            self.say(reason)
        return bool(reason)

    def action_message(self) -> None:
        person = self.table.highlighted
        if person is None:
            self.say("nobody is highlighted")
            return
        start_conversation(self, person.username)

    def action_refresh(self) -> None:
        self.load()

    @on(Input.Submitted, "#people-filter")
    def _filter_entered(self, event: Input.Submitted) -> None:
        event.stop()
        value = " ".join(clean_line(event.value).split())
        tag = value.removeprefix("#").strip().lower()
        if value.startswith("#") or (tag and tag in self.tags):
            self.expertise, self.words = tag or None, None
        else:
            self.expertise, self.words = None, value or None
        self._close_filter()
        self._show_title()
        self.load()

    def _close_filter(self) -> None:
        self.query_one("#people-filter", Input).display = False
        self.table.focus()

    @on(RowTable.RowSelected, "#people-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @on(RowTable.RowHighlighted, "#people-list")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_bio()

    # -- loading ------------------------------------------------------------------------------

    def _filters(self) -> tuple[str | None, bool, str | None]:
        return (self.expertise, self.mentors, self.words)

    @on(NearEnd, "#people-list")
    def _near_end(self, event: NearEnd) -> None:
        if self.next_offset is None or self._paging or self._paging_failed:
            return
        self.load_more()

    @work(exclusive=True, group="people")
    async def load(self) -> None:
        self.workers.cancel_group(self, "people-more")  # a page of an older list must not land
        self._paging = False
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            page = await community.people(
                expertise=self.expertise, mentors=self.mentors, q=self.words
            )
        except Exception as exc:
            self.failed(exc, "the people as last shown" if self.loaded_once else "nobody shown")
            return
        if page.expertise:
            self.tags = [e.tag for e in page.expertise]
        first = not self.loaded_once
        self.loaded_once = True
        self.next_offset, self._paged_for = page.next_offset, self._filters()
        self._paging_failed = False
        self.table.show_items(page.people, new_list=first)
        self.loaded()
        self.show_empty()
        self.table.check_near_end()  # a first page shorter than the screen: fill it

    @work(exclusive=True, group="people-more")
    async def load_more(self) -> None:
        """Append the next page of people; the cursor stays where it is."""
        offset, filters = self.next_offset, self._paged_for
        if offset is None or filters != self._filters():
            return
        self._paging = True
        self._set_state(Content.styled("loading more…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            expertise, mentors, words = filters
            page = await community.people(
                expertise=expertise, mentors=mentors, q=words, offset=offset
            )
        except Exception as exc:
            self._paging_failed = True  # r reads the list again
            self.failed(exc, "no more people shown")
            return
        finally:
            self._paging = False
        if (self.next_offset, self._paged_for) != (offset, filters):
            return  # another list was asked for meanwhile
        self.next_offset = page.next_offset
        self.table.show_items([*self.table.people, *page.people])
        self.loaded()
        self.show_empty()
        self.table.check_near_end()

    # -- display ------------------------------------------------------------------------------

    def _show_title(self) -> None:
        parts: list[Content | str | tuple[str, str]] = [
            "Mentors open to mentoring" if self.mentors else "People"
        ]
        if self.expertise:
            parts += [" · expertise ", ("#" + self.expertise, "bold")]
        if self.words:
            parts += [" · ", ("“" + self.words + "”", "italic")]
        self.table.border_title = Content.assemble(*parts)

    def show_empty(self) -> None:
        empty = self.query_one("#people-empty", Static)
        if self.unsupported:
            empty.update(
                Content.assemble(("No people directory here", "bold"), ": ", self.unsupported, ".")
            )
        elif self.loaded_once and not self.table.people:
            tags = ", ".join(self.tags[:8])
            empty.update(
                Content.assemble(
                    "Nobody matches (f and o change the filters).",
                    ("\nExpertise in use: " + tags) if tags else "",
                )
            )
        empty.display = bool(self.unsupported) or (self.loaded_once and not self.table.people)
        self.table.display = not self.unsupported
        self._show_bio()
        self._show_status()

    def _show_bio(self) -> None:
        person = self.table.highlighted
        self.query_one("#people-bio", Static).update(
            Content("") if person is None else Content(person.bio or "(no bio)")
        )


class ProfileScreen(CommunityScreen):
    """One person: about them, and their recent posts (enter opens one)."""

    BINDINGS = keymap.bindings("profile")
    KEY_CONTEXT = "profile"
    FEATURE = "people"
    WHAT = "profile"

    DEFAULT_CSS = f"""
    ProfileScreen #profile-about {{
        height: auto; max-height: 50%; padding: 0 1 1 1; background: $surface;
        overflow-y: auto;
    }}
    ProfileScreen #profile-posts {{ {LIST_CSS} }}
    ProfileScreen #profile-posts:focus {{ border-top: solid $accent; }}
    ProfileScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self, username: str, *, person: Person | None = None) -> None:
        super().__init__("profile")
        self.username = username
        self.person = person

    def compose(self) -> ComposeResult:
        yield Static(id="profile-about")
        yield RecentPostTable(id="profile-posts")
        yield Static(classes="community-status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_person()
        self.query_one(RecentPostTable).border_title = Content("Recent posts")
        self.query_one(RecentPostTable).focus()
        self.load()

    def status_words(self) -> str:
        return f" · {self.username}"

    def action_open(self) -> None:
        post = self.query_one(RecentPostTable).highlighted
        if post is not None:
            self.open_thread(post.topic_id, post.post_number)

    def action_message(self) -> None:
        start_conversation(self, self.username)

    @on(RowTable.RowSelected, "#profile-posts")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @work(exclusive=True, group="profile")
    async def load(self) -> None:
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            person = await community.person(self.username)
        except Exception as exc:
            self.failed(exc, "the profile as last shown" if self.person else "no profile")
            return
        self.person = person
        self._show_person()
        self.query_one(RecentPostTable).show_items(person.recent_posts)
        self.loaded()

    def show_empty(self) -> None:
        self._show_person()
        self._show_status()

    def _show_person(self) -> None:
        about = self.query_one("#profile-about", Static)
        if self.unsupported:
            about.update(
                Content.assemble(("No profiles here", "bold"), ": ", self.unsupported, ".")
            )
        elif self.person is None:
            about.update(Content.styled(f"loading {self.username}…", "$text-muted"))
        else:
            about.update(person_about(self.person))
        self._show_status()
