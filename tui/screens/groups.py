"""Study groups (g y): every study group with how it admits people, its size and its
next meeting in the reader's own time; a shows every group (the ones that only grant
access to categories, such as Mentors, too) and back; f finds groups by words, enter
opens a group's page.

J joins an open group, A asks to join one that admits on request, L leaves (after a
yes). Each result is said in the status line and the row changes with the forum's
answer; a refusal changes nothing and says why. A forum without study groups is said to
have none.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Footer, Input, Static

from tui import keymap
from tui.forum.community import Community, StudyGroup
from tui.forum.sanitize import clean_line
from tui.screens.community_base import EMPTY_CSS, LIST_CSS, STATUS_CSS, CommunityScreen, why
from tui.screens.confirm import ConfirmScreen
from widgets.community_tables import GroupTable
from widgets.row_table import RowTable


class Membership:
    """Join, ask to join and leave, shared by the groups list and a group's page: the
    screen says what happened and shows the group as the forum now has it."""

    async def change_membership(
        self, screen: CommunityScreen, group: StudyGroup, change: str
    ) -> StudyGroup | None:
        community = await screen.community("groups")
        if community is None:
            return None
        reason = community.unsupported({"ask": "request"}.get(change, change))
        if reason:
            screen.say(reason)
            return None
        try:
            updated = await self._send(community, group, change)
        except Exception as exc:
            doing = {"join": "not joined", "ask": "not asked", "leave": "not left"}[change]
            screen.say(why(exc, doing))
            return None
        done = {
            "join": "joined ",
            "ask": "asked to join (the organisers decide) ",
            "leave": "left ",
        }[change]
        screen.say(done, updated.name)
        return updated

    def confirm_leave(
        self, screen: CommunityScreen, group: StudyGroup, then: Callable[[], object]
    ) -> None:
        """Ask before leaving (a request group may not let the reader back in); `then`
        leaves."""

        def answered(yes: bool | None) -> None:
            if yes:
                then()
            else:
                screen.say("still a member of ", group.name)

        question = Content.assemble("Leave ", (group.name, "bold"), "?")
        screen.app.push_screen(ConfirmScreen(question), answered)

    async def _send(self, community: Community, group: StudyGroup, change: str) -> StudyGroup:
        if change == "join":
            return await community.join(group.slug)
        if change == "ask":
            return await community.request_to_join(group.slug)
        return await community.leave(group.slug)


def membership_problem(group: StudyGroup, change: str) -> str:
    """Why `change` makes no sense for `group` as the reader stands ("" when it does)."""
    if change == "leave":
        return "" if group.is_member else "you are not a member"
    if group.is_member:
        return "you are already a member"
    if group.my_status == "requested":
        return "you have asked already; the organisers decide"
    if group.admission == "invite":
        return "this group admits by invitation only: ask an organiser"
    if change == "join" and group.admission == "request":
        return "this group admits on request: A asks to join"
    if change == "ask" and group.admission == "open":
        return "this group is open: J joins it"
    return ""


class GroupsScreen(CommunityScreen):
    BINDINGS = keymap.bindings("groups")
    KEY_CONTEXT = "groups"
    FEATURE = "groups"
    WHAT = "study groups"

    DEFAULT_CSS = f"""
    GroupsScreen #groups-filter {{ display: none; height: 3; border: tall $accent; }}
    GroupsScreen #groups-list {{ {LIST_CSS} }}
    GroupsScreen #groups-list:focus {{ border-top: solid $accent; }}
    GroupsScreen #groups-empty {{ {EMPTY_CSS} }}
    GroupsScreen #groups-goal {{
        height: auto; max-height: 4; padding: 0 1;
        border-top: solid $panel-lighten-2; background: $surface;
    }}
    GroupsScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self) -> None:
        super().__init__("groups")
        self.query_text: str | None = None
        self.every_group = False  # study groups only, unless the reader asks for all
        self.found: list[StudyGroup] = []  # every group of the last answer
        self.loaded_once = False
        self.membership = Membership()

    def compose(self) -> ComposeResult:
        yield Input(
            id="groups-filter",
            placeholder="words in the name or goal (enter: find, empty: all, escape: cancel)",
            select_on_focus=False,
        )
        yield GroupTable(id="groups-list")
        yield Static(id="groups-empty")
        yield Static(id="groups-goal")
        yield Static(classes="community-status")
        yield Footer()

    @property
    def table(self) -> GroupTable:
        return self.query_one(GroupTable)

    def on_mount(self) -> None:
        self._show_title()
        self._show_status()
        self.table.focus()
        self.load()

    def status_words(self) -> str:
        if not self.loaded_once:
            return ""
        count = len(self.table.groups)
        words = f" · {count} group{'' if count == 1 else 's'}"
        hidden = len(self.found) - count
        if hidden > 0:
            words += f" · {hidden} other{'' if hidden == 1 else 's'} (a shows them)"
        return words

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":  # in the filter field enter keeps its meaning
            return self.focused is self.table and self.table.highlighted is not None
        return True

    def action_back(self) -> None:
        if self.query_one("#groups-filter", Input).display:
            self._close_filter()
        else:
            self.dismiss(None)

    def action_open(self) -> None:
        group = self.table.highlighted
        if group is None:
            return
        from tui.screens.group import GroupScreen

        self.app.push_screen(GroupScreen(group.slug, group=group), self._back_from_group)

    def _back_from_group(self, _: None) -> None:
        self.load()  # joined or left there: the list says so too

    def action_join(self) -> None:
        self._change("join")

    def action_request(self) -> None:
        self._change("ask")

    def action_leave(self) -> None:
        self._change("leave")

    def action_find(self) -> None:
        field = self.query_one("#groups-filter", Input)
        field.value = self.query_text or ""
        field.display = True
        field.focus()

    def action_refresh(self) -> None:
        self.load()

    def action_every_group(self) -> None:
        self.every_group = not self.every_group
        self._show_title()
        if self.loaded_once:
            self._show_found(new_list=True)

    def shown(self, groups: list[StudyGroup]) -> list[StudyGroup]:
        """The groups the list shows: study groups only, or all of them."""
        return groups if self.every_group else [g for g in groups if g.is_study_group]

    @on(Input.Submitted, "#groups-filter")
    def _filter_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_text = " ".join(clean_line(event.value).split()) or None
        self._close_filter()
        self._show_title()
        self.load()

    def _close_filter(self) -> None:
        self.query_one("#groups-filter", Input).display = False
        self.table.focus()

    @on(RowTable.RowSelected, "#groups-list")
    def _clicked(self, event: RowTable.RowSelected) -> None:
        self.action_open()

    @on(RowTable.RowHighlighted, "#groups-list")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_goal()

    # -- membership -----------------------------------------------------------------------------

    def _change(self, change: str) -> None:
        group = self.table.highlighted
        if group is None:
            self.say("no group is highlighted")
            return
        problem = membership_problem(group, change)
        if problem:
            self.say(problem)
            return
        if change == "leave":
            self.membership.confirm_leave(self, group, lambda: self._send_change(group, change))
        else:
            self._send_change(group, change)

    @work(group="groups-membership")
    async def _send_change(self, group: StudyGroup, change: str) -> None:
        updated = await self.membership.change_membership(self, group, change)
        if updated is not None:
            self.found = [updated if g.slug == updated.slug else g for g in self.found]
            self.table.show_items(self.shown(self.found))
            self._show_goal()

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="groups")
    async def load(self) -> None:
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            groups = await community.groups(query=self.query_text)
        except Exception as exc:
            self.failed(exc, "the groups as last shown" if self.loaded_once else "no groups")
            return
        first = not self.loaded_once
        self.loaded_once = True
        self.found = groups
        self._show_found(new_list=first)
        self.loaded()

    def _show_found(self, *, new_list: bool) -> None:
        self.table.show_items(self.shown(self.found), new_list=new_list)
        self.show_empty()

    # -- display ------------------------------------------------------------------------------

    def _show_title(self) -> None:
        title = "Every group" if self.every_group else "Study groups"
        if self.query_text:
            title += f" · “{self.query_text}”"
        self.table.border_title = Content(title)

    def show_empty(self) -> None:
        empty = self.query_one("#groups-empty", Static)
        if self.unsupported:
            empty.update(
                Content.assemble(("No study groups here", "bold"), ": ", self.unsupported, ".")
            )
        elif self.loaded_once and not self.table.groups:
            others = "" if self.every_group or not self.found else " (a shows every group)"
            empty.update(
                Content(
                    ("No group matches those words (f changes them)." + others)
                    if self.query_text
                    else (
                        "There are no groups yet."
                        if self.every_group
                        else "There are no study groups yet." + others
                    )
                )
            )
        nothing = bool(self.unsupported) or (self.loaded_once and not self.table.groups)
        empty.display = nothing
        self.table.display = not self.unsupported
        self._show_goal()
        self._show_status()

    def _show_goal(self) -> None:
        group = self.table.highlighted
        goal = self.query_one("#groups-goal", Static)
        if group is None:
            goal.update(Content(""))
            return
        if not group.is_study_group:
            hint = "grants access to categories; moderators add people"
            goal.update(
                Content.assemble(
                    (group.name, "bold"), " · ", (hint, "$text-muted"), "\n", group.goal
                )
            )
            return
        hint = {
            "member": "L leaves",
            "requested": "you asked to join; the organisers decide",
        }.get(
            group.my_status,
            {"open": "J joins", "request": "A asks to join"}.get(
                group.admission, "by invitation only"
            ),
        )
        goal.update(
            Content.assemble((group.name, "bold"), " · ", (hint, "$text-muted"), "\n", group.goal)
        )
