"""One study group's page: its goal, expectations and schedule with the next meeting (the
reader's time and the group's zone), its members and their roles, its recent threads and
shared resources (from its own category, when the reader may see it) and, for its
organisers, the requests to join, which a approves.

Tab moves between the lists; enter opens the highlighted thread, the discussion a
resource was shared in, or a member's profile. J, A and L join, ask to join and leave,
as on the groups list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from tui import keymap
from tui.forum.community import Community, JoinRequest, StudyGroup
from tui.forum.models import Category
from tui.forum.repository import repository_of
from tui.screens.community_base import STATUS_CSS, CommunityScreen, why
from tui.screens.groups import Membership, membership_problem
from widgets.community_tables import MemberTable, RequestTable, TopicRows
from widgets.community_text import group_head
from widgets.resource_library import ResourceTable
from widgets.row_table import RowTable

THREADS = 8  # recent threads shown


class GroupScreen(CommunityScreen):
    BINDINGS = keymap.bindings("group")
    KEY_CONTEXT = "group"
    FEATURE = "groups"
    WHAT = "study group"

    DEFAULT_CSS = f"""
    GroupScreen #group-page {{ height: 1fr; background: $surface; }}
    GroupScreen #group-head {{ height: auto; padding: 0 1 1 1; }}
    GroupScreen .group-label {{
        height: 1; padding: 0 1; background: $panel; color: $text-muted; text-style: bold;
    }}
    GroupScreen .group-label.-hidden, GroupScreen RowTable.-hidden {{ display: none; }}
    GroupScreen #group-page RowTable {{
        height: auto; max-height: 9; background: $surface; overflow-x: hidden;
    }}
    GroupScreen #group-page RowTable:focus {{ background: $boost; }}
    GroupScreen .community-status {{ {STATUS_CSS} }}
    """

    def __init__(self, slug: str, *, group: StudyGroup | None = None) -> None:
        super().__init__("group")
        self.slug = slug
        self.group = group  # as the list had it: shown at once, then the forum's
        self.requests: list[JoinRequest] = []
        self.membership = Membership()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="group-page"):
            yield Static(id="group-head")
            yield Static(
                "Requests to join (a approves)", id="requests-label", classes="group-label -hidden"
            )
            requests = RequestTable(id="group-requests")
            requests.add_class("-hidden")  # shown to organisers, when someone asked
            yield requests
            yield Static("Members", id="members-label", classes="group-label")
            yield MemberTable(id="group-members")
            yield Static("Recent threads", id="threads-label", classes="group-label")
            yield TopicRows(id="group-threads")
            yield Static(id="threads-note", classes="group-label -hidden")
            yield Static("Resources", id="resources-label", classes="group-label")
            yield ResourceTable(id="group-resources")
            yield Static(id="resources-note", classes="group-label -hidden")
        yield Static(classes="community-status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_head()
        self._show_status()
        self.query_one(MemberTable).focus()
        self.load()

    def status_words(self) -> str:
        return f" · {self.group.name}" if self.group else f" · {self.slug}"

    # -- actions ------------------------------------------------------------------------------

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, TopicRows):
            topic = focused.highlighted
            if topic is not None:
                self.open_thread(topic.id, None)
        elif isinstance(focused, ResourceTable):
            resource = focused.highlighted
            if resource is not None and resource.shares:
                share = resource.shares[0]
                self.open_thread(share.topic_id, share.post_number)
        elif isinstance(focused, MemberTable | RequestTable):
            who = focused.highlighted
            if who is not None:
                from tui.screens.people import ProfileScreen

                self.app.push_screen(ProfileScreen(who.username))

    def action_join(self) -> None:
        self._change("join")

    def action_request(self) -> None:
        self._change("ask")

    def action_leave(self) -> None:
        self._change("leave")

    def action_approve(self) -> None:
        group = self.group
        if group is None or not group.can_manage:
            self.say("only the group's organisers approve requests")
            return
        request = self.query_one(RequestTable).highlighted
        if request is None:
            self.say("nobody is waiting to join")
            return
        self._approve(request)

    def action_refresh(self) -> None:
        self.load()

    @on(RowTable.RowSelected)
    def _clicked(self, event: RowTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    # -- changes ------------------------------------------------------------------------------

    def _change(self, change: str) -> None:
        group = self.group
        if group is None:
            self.say("the group is not loaded yet")
            return
        problem = membership_problem(group, change)
        if problem:
            self.say(problem)
            return
        if change == "leave":
            self.membership.confirm_leave(self, group, lambda: self._send_change(group, change))
        else:
            self._send_change(group, change)

    @work(group="group-membership")
    async def _send_change(self, group: StudyGroup, change: str) -> None:
        updated = await self.membership.change_membership(self, group, change)
        if updated is not None:
            self.load()  # members, and maybe the category's threads, change with it

    @work(group="group-membership")
    async def _approve(self, request: JoinRequest) -> None:
        community = await self.community("approve")
        if community is None:
            return
        try:
            updated = await community.approve(self.slug, request.username)
        except Exception as exc:
            self.say(why(exc, "not approved"))
            return
        self.say("approved: welcome ", request.username)
        self.group = updated
        self.load()

    # -- loading ------------------------------------------------------------------------------

    @work(exclusive=True, group="group")
    async def load(self) -> None:
        self._set_state(Content.styled("loading…", "$text-muted"))
        try:
            community = await self.community()
            if community is None:
                return
            group = await community.group(self.slug)
        except Exception as exc:
            self.failed(exc, "the page as last shown" if self.group else "nothing to show")
            return
        self.group = group
        self._show_head()
        self.query_one(MemberTable).show_items(group.members)
        await self._load_requests(community, group)
        self.loaded()
        await self._load_category(group)

    async def _load_requests(self, community: Community, group: StudyGroup) -> None:
        requests: list[JoinRequest] = []
        if group.can_manage and community.unsupported("approve") is None:
            try:
                requests = await community.join_requests(group.slug)
            except Exception as exc:
                self.say(why(exc, "requests to join not shown"))
        self.requests = requests
        table = self.query_one(RequestTable)
        table.show_items(requests)
        shown = bool(requests)
        table.set_class(not shown, "-hidden")
        label = self.query_one("#requests-label", Static)
        label.set_class(not shown, "-hidden")
        label.update(f"{len(requests)} asked to join (a approves the highlighted)")

    async def _load_category(self, group: StudyGroup) -> None:
        """The threads and resources of the group's category, when the reader sees it."""
        threads = self.query_one(TopicRows)
        resources = self.query_one(ResourceTable)
        if group.category_id is None:
            if not group.has_category:
                note = "This group has no category of its own: no threads or resources."
            elif group.is_member:
                note = "This group's category is not shown to you yet: r reads it again."
            else:
                note = "Its threads and resources are for its members only."
            self._note("threads-note", note)
            self._note("resources-note", "")
            threads.show_items([])
            resources.show([])
            return
        category = Category(
            id=group.category_id,
            slug=group.category_slug or group.slug,
            name=group.category_name or group.name,
        )
        repo = repository_of(self.app)
        if repo is not None:
            try:
                async for answer in repo.topics(category=category):
                    if answer.value is not None:
                        threads.now = datetime.now(UTC)
                        threads.show_items(answer.value.topics[:THREADS])
                        self._note("threads-note", "" if answer.value.topics else "No threads yet.")
                    if answer.error is not None and answer.value is None:
                        self._note("threads-note", why(answer.error, "threads not shown"))
            except Exception as exc:
                self._note("threads-note", why(exc, "threads not shown"))
        try:
            page = await (await self.backend()).resources(category=category)
        except Exception as exc:
            self._note("resources-note", why(exc, "resources not shown"))
            return
        resources.show(page.resources)
        self._note("resources-note", "" if page.resources else "No links shared yet.")

    # -- display ------------------------------------------------------------------------------

    def _note(self, widget_id: str, text: str) -> None:
        note = self.query_one(f"#{widget_id}", Static)
        note.update(Content(text))
        note.set_class(not text, "-hidden")

    def show_empty(self) -> None:
        if self.unsupported:
            self.query_one("#group-head", Static).update(
                Content.assemble(("No study groups here", "bold"), ": ", self.unsupported, ".")
            )
        self._show_status()

    def _show_head(self) -> None:
        group = self.group
        head = self.query_one("#group-head", Static)
        if group is None:
            head.update(Content.styled("loading the group…", "$text-muted"))
            return
        if group.members:
            roles = {m.username: m.roles for m in group.members}
            group = replace(group, my_roles=group.my_roles or roles.get(self._me(), ()))
        head.update(group_head(group))
        self._show_status()

    def _me(self) -> str:
        me = getattr(self.app, "me", None)
        return str(getattr(me, "username", "") or "")
