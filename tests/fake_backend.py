"""An in-memory `ForumBackend` for tests of what stands on a backend (cache, sync, outbox,
screens): a small forum held in dicts, with switches for what real forums do to clients.

- `offline = True`: every call raises `Offline` (`offline_ambiguous` makes it ambiguous).
- `fail_next(method, error)`: the next call of `method` raises `error` (once per call).
- `lose_answer(method)`: the next call of `method` does its work on the forum, then
  raises `Offline(ambiguous=True)`, as when a connection breaks after sending.
- `calls` counts every call by method name; `requested_post_ids` lists the ids each
  `posts()` call asked for.

Builders (`add_category`, `add_topic`, `add_post`, `add_posts`, `edit`, `remove`,
`add_notification`, ...) change the forum as "someone else" would; they count as no call,
ignore `offline`, and record changes in the feed like the writes of the backend do.
Everything is deterministic: times come from a clock that moves one minute per event.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.forum.backend import (
    AuthError,
    Conflict,
    ForumError,
    NotFound,
    Offline,
    Rejected,
)
from tui.forum.models import (
    Bookmark,
    Category,
    Change,
    ChangeBatch,
    Link,
    Notification,
    NotificationKind,
    NotificationList,
    Post,
    Reaction,
    Reactor,
    Reactors,
    Resource,
    ResourceList,
    ResourceShare,
    SearchPage,
    SearchResult,
    SiteInfo,
    Topic,
    TopicList,
    TopicPage,
    User,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_URL = re.compile(r"https?://[^\s<>()\"']+")


@dataclass
class _TopicRow:
    id: int
    title: str
    category_id: int
    username: str
    created_at: datetime
    tags: tuple[str, ...] = ()
    closed: bool = False
    pinned: bool = False
    deleted: bool = False
    solution_post_id: int | None = None
    post_ids: list[int] = field(default_factory=list)


class FakeBackend:
    """A whole forum in memory, speaking the `ForumBackend` protocol."""

    def __init__(
        self,
        *,
        kind: str = "cohort",
        username: str | None = "me",
        chunk_size: int = 20,
        page_size: int = 30,
        search_page: int = 20,
        list_post_ids: bool = True,
        keep_changes: int = 10_000,
        reactions: tuple[str, ...] = ("like", "heart", "laugh"),
    ) -> None:
        """`username` None reads anonymously; `list_post_ids` False answers threads like
        Discourse does for 10k+ post topics (no id list: page with `posts_after`);
        `keep_changes` prunes the change feed so old cursors get a reset."""
        self.kind = kind
        self.base_url = "https://fake.invalid"
        self.username = username
        self.chunk_size = chunk_size
        self.page_size = page_size
        self.search_page = search_page
        self.list_post_ids = list_post_ids
        self.keep_changes = keep_changes
        self.reactions = reactions

        self.offline = False
        self.offline_ambiguous = False
        self.closed = False
        self.calls: Counter[str] = Counter()
        self.requested_post_ids: list[list[int]] = []
        self._failures: dict[str, list[ForumError]] = {}
        self._lost: Counter[str] = Counter()
        self._replies: Counter[tuple[int, int]] = Counter()  # (topic, post number) -> replies

        self.users: dict[str, User] = {}
        self.categories_by_id: dict[int, Category] = {}
        self.topic_rows: dict[int, _TopicRow] = {}
        self.post_rows: dict[int, Post] = {}
        self.reactions_by_post: dict[int, dict[str, set[str]]] = {}
        self.reacted_at: dict[tuple[int, str, str], datetime] = {}  # (post, name, who) -> when
        self.bookmarked: set[int] = set()
        self.read_marks: dict[int, int] = {}
        self.notification_rows: list[Notification] = []
        self.change_log: list[Change] = []
        self.idempotent: dict[str, Any] = {}

        self._ids = itertools.count(1)
        self._seq = 0
        self._clock = START
        self._news: asyncio.Event | None = None
        if username is not None:
            self.user(username)

    # -- switches ----------------------------------------------------------------------

    def fail_next(self, method: str, error: ForumError) -> None:
        """The next call of `method` raises `error` (queue several by calling again)."""
        self._failures.setdefault(method, []).append(error)

    def lose_answer(self, method: str) -> None:
        """The next call of `method` happens on the forum, but its answer is lost."""
        self._lost[method] += 1

    def _enter(self, method: str) -> None:
        self.calls[method] += 1
        if self.closed:
            raise RuntimeError("the fake backend was closed")
        if self.offline:
            raise Offline("the fake forum is offline", ambiguous=self.offline_ambiguous)
        queued = self._failures.get(method)
        if queued:
            raise queued.pop(0)

    def _leave(self, method: str) -> None:
        """After a write: raise the lost answer if one was asked for."""
        if self._lost[method]:
            self._lost[method] -= 1
            raise Offline("the connection broke after sending", ambiguous=True)

    def _tick(self) -> datetime:
        self._clock += timedelta(minutes=1)
        return self._clock

    def _record(
        self,
        kind: str,
        *,
        topic_id: int | None = None,
        post_id: int | None = None,
        category_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._seq += 1
        self.change_log.append(
            Change(
                kind=kind,
                topic_id=topic_id,
                post_id=post_id,
                category_id=category_id,
                seq=self._seq,
                data=data or {},
            )
        )
        del self.change_log[: max(0, len(self.change_log) - self.keep_changes)]
        if self._news is not None:
            self._news.set()

    # -- builders (someone else using the forum) ------------------------------------------

    def user(self, username: str, *, moderator: bool = False) -> User:
        if username not in self.users:
            self.users[username] = User(
                id=len(self.users) + 1,
                username=username,
                name=username.title(),
                is_moderator=moderator,
            )
        return self.users[username]

    def add_category(self, slug: str, name: str | None = None, **fields: Any) -> Category:
        category = Category(id=next(self._ids), slug=slug, name=name or slug.title(), **fields)
        self.categories_by_id[category.id] = category
        self._record("category.created", category_id=category.id)
        return category

    def _default_category(self) -> Category:
        if not self.categories_by_id:
            return self.add_category("general", "General")
        return next(iter(self.categories_by_id.values()))

    def add_topic(
        self,
        title: str,
        raw: str | None = "The first post.",
        *,
        category: Category | None = None,
        username: str = "alice",
        tags: tuple[str, ...] = (),
        cooked: str | None = None,
    ) -> Topic:
        category = category or self._default_category()
        self.user(username)
        row = _TopicRow(
            id=next(self._ids),
            title=title,
            category_id=category.id,
            username=username,
            created_at=self._tick(),
            tags=tags,
        )
        self.topic_rows[row.id] = row
        first = self._insert_post(row, raw, username, None, cooked=cooked)
        self._record("topic.created", topic_id=row.id, post_id=first.id, category_id=category.id)
        return self._topic(row)

    def add_post(
        self,
        topic_id: int,
        raw: str | None = "A reply.",
        *,
        username: str = "bob",
        reply_to: int | None = None,
        cooked: str | None = None,
    ) -> Post:
        row = self._row(topic_id)
        self.user(username)
        post = self._insert_post(row, raw, username, reply_to, cooked=cooked)
        self._record(
            "post.created",
            topic_id=row.id,
            post_id=post.id,
            category_id=row.category_id,
            data={"post_number": post.post_number},
        )
        return self._view(post)

    def add_posts(self, topic_id: int, count: int, *, username: str = "bob") -> list[Post]:
        """`count` replies, each saying which it is ("reply 7 of 300")."""
        return [
            self.add_post(topic_id, f"reply {n} of {count}", username=username)
            for n in range(1, count + 1)
        ]

    def edit(self, post_id: int, raw: str) -> Post:
        post = self._post(post_id)
        row = self._row(post.topic_id)
        changed = replace(post, raw=raw, version=post.version + 1, updated_at=self._tick())
        self.post_rows[post_id] = changed
        self._record(
            "post.edited",
            topic_id=row.id,
            post_id=post_id,
            category_id=row.category_id,
            data={"version": changed.version},
        )
        return self._view(changed)

    def remove(self, post_id: int) -> None:
        """Delete a post as a moderator would: a tombstone; post 1 takes its topic along."""
        post = self._post(post_id)
        row = self._row(post.topic_id)
        self.post_rows[post_id] = replace(post, raw="", cooked=None, deleted=True)
        self.reactions_by_post.pop(post_id, None)
        if row.solution_post_id == post_id:
            row.solution_post_id = None
        if post.post_number == 1:
            row.deleted = True
            self._record(
                "topic.deleted", topic_id=row.id, post_id=post_id, category_id=row.category_id
            )
        else:
            self._record(
                "post.deleted", topic_id=row.id, post_id=post_id, category_id=row.category_id
            )

    def retitle(self, topic_id: int, title: str) -> Topic:
        row = self._row(topic_id)
        row.title = title
        self._record(
            "topic.updated",
            topic_id=row.id,
            category_id=row.category_id,
            data={"fields": ["title"]},
        )
        return self._topic(row)

    def add_reaction(self, post_id: int, name: str, *, username: str = "bob") -> Post:
        """`username` reacts to a post (no notification: add one if a test needs it)."""
        post = self._post(post_id)
        self.user(username)
        self.reactions_by_post.setdefault(post_id, {}).setdefault(name, set()).add(username)
        self.reacted_at[(post_id, name, username)] = self._tick()
        row = self.topic_rows[post.topic_id]
        self._record(
            "reaction.changed",
            topic_id=row.id,
            post_id=post_id,
            category_id=row.category_id,
            data={"name": name, "on": True},
        )
        return self._view(post)

    def add_notification(
        self,
        kind: NotificationKind = NotificationKind.REPLY,
        *,
        actor: str = "bob",
        topic_id: int | None = None,
        post_id: int | None = None,
        detail: str = "",
    ) -> Notification:
        topic_title = ""
        post_number = None
        if topic_id is not None:
            topic_title = self._row(topic_id).title
        if post_id is not None:
            post_number = self._post(post_id).post_number
        notification = Notification(
            id=next(self._ids),
            kind=kind,
            created_at=self._tick(),
            actor=actor,
            topic_id=topic_id,
            topic_title=topic_title,
            post_id=post_id,
            post_number=post_number,
            detail=detail,
        )
        self.notification_rows.append(notification)
        return notification

    def thread_posts(self, topic_id: int) -> list[Post]:
        """Every post of a topic as the forum holds it (for assertions)."""
        row = self._row(topic_id)
        return [self._view(self.post_rows[i]) for i in row.post_ids]

    # -- views --------------------------------------------------------------------------

    def _insert_post(
        self,
        row: _TopicRow,
        raw: str | None,
        username: str,
        reply_to: int | None,
        *,
        cooked: str | None = None,
    ) -> Post:
        if raw is None and cooked is None:
            raise ValueError("a post needs raw or cooked text")
        post = Post(
            id=next(self._ids),
            topic_id=row.id,
            post_number=len(row.post_ids) + 1,
            username=username,
            name=self.user(username).name,
            created_at=self._tick(),
            raw=raw,
            cooked=cooked,
            reply_to_post_number=reply_to,
        )
        self.post_rows[post.id] = post
        row.post_ids.append(post.id)
        if reply_to is not None:
            self._replies[(row.id, reply_to)] += 1
        return post

    def _row(self, topic_id: int) -> _TopicRow:
        row = self.topic_rows.get(topic_id)
        if row is None or row.deleted:
            raise NotFound(f"topic {topic_id} not found", status=404, code="not_found")
        return row

    def _post(self, post_id: int) -> Post:
        post = self.post_rows.get(post_id)
        if post is None or self.topic_rows[post.topic_id].deleted:
            raise NotFound(f"post {post_id} not found", status=404, code="not_found")
        return post

    def _view(self, post: Post) -> Post:
        """A post as the logged-in user sees it: reactions, accepted, bookmark, editable."""
        by_name = self.reactions_by_post.get(post.id, {})
        reactions = tuple(
            Reaction(name=name, count=len(who), reacted=self.username in who)
            for name, who in sorted(by_name.items())
            if who
        )
        row = self.topic_rows[post.topic_id]
        return replace(
            post,
            reactions=reactions,
            like_count=len(by_name.get("like", ())),
            reply_count=self._replies[(row.id, post.post_number)],
            accepted=row.solution_post_id == post.id,
            bookmarked=post.id in self.bookmarked,
            can_edit=post.username == self.username and not post.deleted,
        )

    def _topic(self, row: _TopicRow) -> Topic:
        posts = [self.post_rows[i] for i in row.post_ids]
        alive = [p for p in posts if not p.deleted]
        last = alive[-1] if alive else posts[-1]
        highest = posts[-1].post_number if posts else 0
        mark = self.read_marks.get(row.id)
        solution = self.post_rows.get(row.solution_post_id) if row.solution_post_id else None
        return Topic(
            id=row.id,
            title=row.title,
            category_id=row.category_id,
            username=row.username,
            posts_count=len(alive),
            reply_count=max(0, len(alive) - 1),
            bumped_at=last.created_at,
            solved=solution is not None,
            pinned=row.pinned,
            closed=row.closed,
            unread_count=max(0, highest - mark) if mark is not None else 0,
            tags=row.tags,
            created_at=row.created_at,
            last_poster=last.username,
            highest_post_number=highest,
            like_count=sum(
                len(self.reactions_by_post.get(p.id, {}).get("like", ())) for p in posts
            ),
            solution_post_number=solution.post_number if solution else None,
            last_read_post_number=mark,
            seen=mark is not None,
        )

    def _visible_rows(self) -> list[_TopicRow]:
        return [r for r in self.topic_rows.values() if not r.deleted]

    # -- ForumBackend: reads ------------------------------------------------------------

    async def site(self) -> SiteInfo:
        self._enter("site")
        return SiteInfo(
            software=self.kind,
            name="Fake forum",
            reactions=self.reactions,
            features=frozenset({"reactions", "solved", "bookmarks", "resources", "changes"}),
        )

    async def me(self) -> User | None:
        self._enter("me")
        return None if self.username is None else self.users[self.username]

    async def categories(self) -> list[Category]:
        self._enter("categories")
        counts = Counter(r.category_id for r in self._visible_rows())
        return [replace(c, topic_count=counts[c.id]) for c in self.categories_by_id.values()]

    async def topics(
        self,
        filter: str = "latest",
        *,
        category: Category | None = None,
        tag: str | None = None,
        cursor: str | None = None,
    ) -> TopicList:
        self._enter("topics")
        if filter not in ("latest", "new", "unread", "top"):
            raise Rejected(f"unknown filter {filter!r}", status=400, code="invalid_filter")
        topics = [self._topic(r) for r in self._visible_rows()]
        if category is not None:
            topics = [t for t in topics if t.category_id == category.id]
        if tag is not None:
            topics = [t for t in topics if tag in t.tags]
        if filter == "new":
            topics = [t for t in topics if not t.seen]
        elif filter == "unread":
            topics = [t for t in topics if t.seen and t.unread_count]
        if filter == "top":
            topics.sort(key=lambda t: (-t.like_count, -t.id))
        else:
            topics.sort(key=lambda t: (not t.pinned, -t.bumped_at.timestamp(), -t.id))
        start = int(cursor) if cursor else 0
        page = topics[start : start + self.page_size]
        more = start + self.page_size < len(topics)
        return TopicList(
            topics=tuple(page), next_cursor=str(start + self.page_size) if more else None
        )

    async def topic(self, topic_id: int) -> TopicPage:
        self._enter("topic")
        row = self._row(topic_id)
        posts = [self._view(self.post_rows[i]) for i in row.post_ids[: self.chunk_size]]
        return TopicPage(
            topic=self._topic(row),
            post_ids=tuple(row.post_ids) if self.list_post_ids else None,
            posts=tuple(posts),
        )

    async def posts(self, topic_id: int, post_ids: list[int]) -> list[Post]:
        self._enter("posts")
        self.requested_post_ids.append(list(post_ids))
        row = self._row(topic_id)
        wanted = set(post_ids)
        return [self._view(self.post_rows[i]) for i in row.post_ids if i in wanted]

    async def posts_after(self, topic_id: int, post_number: int, limit: int = 20) -> list[Post]:
        self._enter("posts_after")
        row = self._row(topic_id)
        posts = (self.post_rows[i] for i in row.post_ids)
        return [self._view(p) for p in posts if p.post_number > post_number][:limit]

    async def post(self, post_id: int) -> Post:
        self._enter("post")
        return self._view(self._post(post_id))

    async def reactors(self, post_id: int) -> list[Reactors]:
        self._enter("reactors")
        self._post(post_id)
        found: list[Reactors] = []
        for name, who in sorted(self.reactions_by_post.get(post_id, {}).items()):
            # Newest first; people set straight into reactions_by_post have no time.
            people = sorted(
                who,
                key=lambda u: (self.reacted_at.get((post_id, name, u), START), u),
                reverse=True,
            )
            if people:
                found.append(
                    Reactors(
                        name=name,
                        users=tuple(
                            Reactor(
                                username=u,
                                name=self.user(u).name,
                                created_at=self.reacted_at.get((post_id, name, u)),
                            )
                            for u in people
                        ),
                    )
                )
        return found

    async def search(self, query: str, *, offset: int = 0) -> SearchPage:
        self._enter("search")
        words: list[str] = []
        user = slug = None
        in_title = False
        for word in query.split():
            if word.startswith("@") and len(word) > 1:
                user = word[1:]
            elif word.startswith("#") and len(word) > 1:
                slug = word[1:]
            elif word.lower() == "in:title":
                in_title = True
            else:
                words.append(word.lower())
        if not words and not user and not slug:
            raise Rejected("search needs some words or a filter", status=400, code="missing_field")
        found: list[SearchResult] = []
        for row in self._visible_rows():
            category = self.categories_by_id[row.category_id]
            if slug is not None and category.slug != slug:
                continue
            for post_id in row.post_ids[:1] if in_title else row.post_ids:
                post = self.post_rows[post_id]
                text = row.title if in_title else (post.raw or post.cooked or "")
                if post.deleted or (user is not None and post.username != user):
                    continue
                if not all(w in text.lower() for w in words):
                    continue
                found.append(
                    SearchResult(
                        topic_id=row.id,
                        post_number=post.post_number,
                        topic_title=row.title,
                        username=post.username,
                        blurb=text[:200],
                        post_id=post.id,
                        category_id=row.category_id,
                        created_at=post.created_at,
                        solved=row.solution_post_id is not None,
                        accepted=row.solution_post_id == post.id,
                    )
                )
        page = found[offset : offset + self.search_page]
        more = offset + self.search_page < len(found)
        return SearchPage(
            results=tuple(page), next_offset=offset + self.search_page if more else None
        )

    async def notifications(self) -> NotificationList:
        self._enter("notifications")
        self._need_login()
        newest = sorted(self.notification_rows, key=lambda n: n.created_at, reverse=True)
        return NotificationList(
            notifications=tuple(newest), unread_count=sum(not n.read for n in newest)
        )

    async def mark_notifications_read(self, ids: list[int] | None = None) -> None:
        self._enter("mark_notifications_read")
        self._need_login()
        self.notification_rows = [
            replace(n, read=True) if ids is None or n.id in ids else n
            for n in self.notification_rows
        ]

    def _links(self, rows: list[_TopicRow]) -> list[Link]:
        links: list[Link] = []
        for row in rows:
            for post_id in row.post_ids:
                post = self.post_rows[post_id]
                for url in _URL.findall(post.raw or post.cooked or ""):
                    links.append(
                        Link(
                            url=url,
                            username=post.username,
                            post_id=post.id,
                            post_number=post.post_number,
                            topic_id=row.id,
                            created_at=post.created_at,
                        )
                    )
        return links

    async def topic_links(self, topic_id: int) -> list[Link]:
        self._enter("topic_links")
        return self._links([self._row(topic_id)])

    async def resources(
        self,
        *,
        category: Category | None = None,
        tag: str | None = None,
        query: str | None = None,
        sort: str = "recent",
        cursor: str | None = None,
    ) -> ResourceList:
        self._enter("resources")
        rows = [
            r
            for r in self._visible_rows()
            if (category is None or r.category_id == category.id) and (tag is None or tag in r.tags)
        ]
        by_url: dict[str, list[Link]] = {}
        for link in self._links(rows):
            if query is None or query.lower() in link.url.lower():
                by_url.setdefault(link.url, []).append(link)
        resources = [
            Resource(
                url=url,
                share_count=len(shares),
                topic_count=len({s.topic_id for s in shares}),
                first_shared_by=shares[0].username,
                first_shared_at=shares[0].created_at,
                last_shared_at=shares[-1].created_at,
                shares=tuple(
                    ResourceShare(
                        username=s.username,
                        topic_id=s.topic_id,
                        topic_title=self.topic_rows[s.topic_id].title,
                        post_id=s.post_id,
                        post_number=s.post_number,
                        created_at=s.created_at,
                    )
                    for s in shares
                ),
            )
            for url, shares in by_url.items()
        ]
        if sort == "shared":
            resources.sort(key=lambda r: (-r.share_count, r.url))
        else:
            resources.sort(key=lambda r: r.last_shared_at or START, reverse=True)
        start = int(cursor) if cursor else 0
        page = resources[start : start + self.page_size]
        more = start + self.page_size < len(resources)
        return ResourceList(
            resources=tuple(page), next_cursor=str(start + self.page_size) if more else None
        )

    async def bookmarks(self) -> list[Bookmark]:
        self._enter("bookmarks")
        self._need_login()
        marks: list[Bookmark] = []
        for post_id in sorted(self.bookmarked):
            post = self.post_rows[post_id]
            row = self.topic_rows[post.topic_id]
            if not row.deleted:
                marks.append(Bookmark(post=self._view(post), topic_title=row.title))
        return marks

    # -- ForumBackend: writes -----------------------------------------------------------

    def _need_login(self) -> str:
        if self.username is None:
            raise AuthError("log in to do that", status=401, code="unauthorized")
        return self.username

    async def create_topic(
        self, *, title: str, raw: str, category: Category, tags: list[str], key: str
    ) -> TopicPage:
        self._enter("create_topic")
        username = self._need_login()
        if key in self.idempotent:
            done: TopicPage = self.idempotent[key]
            return done
        if not title.strip() or not raw.strip():
            raise Rejected("a topic needs a title and a body", status=422, code="invalid_field")
        if category.id not in self.categories_by_id:
            raise NotFound("no such category", status=404, code="not_found")
        topic = self.add_topic(title, raw, category=category, username=username, tags=tuple(tags))
        row = self.topic_rows[topic.id]
        page = TopicPage(
            topic=self._topic(row),
            post_ids=tuple(row.post_ids),
            posts=tuple(self._view(self.post_rows[i]) for i in row.post_ids),
        )
        self.idempotent[key] = page
        self._leave("create_topic")
        return page

    async def reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None, key: str
    ) -> Post:
        self._enter("reply")
        username = self._need_login()
        if key in self.idempotent:
            done: Post = self.idempotent[key]
            return done
        row = self._row(topic_id)
        if row.closed:
            raise Rejected("this topic is closed", status=422, code="topic_closed")
        if not raw.strip():
            raise Rejected("a reply needs some text", status=422, code="invalid_field")
        post = self.add_post(topic_id, raw, username=username, reply_to=reply_to_post_number)
        self.idempotent[key] = post
        self._leave("reply")
        return post

    async def edit_post(self, post: Post, raw: str) -> Post:
        self._enter("edit_post")
        username = self._need_login()
        current = self._post(post.id)
        if current.username != username:
            raise AuthError("you cannot edit this post", status=403, code="forbidden")
        if current.version != post.version:
            raise Conflict(
                "the post changed since you opened it",
                current_version=current.version,
                status=412,
                code="stale_version",
            )
        edited = self.edit(post.id, raw)
        self._leave("edit_post")
        return edited

    async def delete_post(self, post_id: int) -> None:
        self._enter("delete_post")
        username = self._need_login()
        post = self._post(post_id)
        if post.username != username and not self.users[username].is_moderator:
            raise AuthError("you cannot delete this post", status=403, code="forbidden")
        self.remove(post_id)
        self._leave("delete_post")

    async def react(self, post_id: int, name: str, on: bool) -> Post:
        self._enter("react")
        username = self._need_login()
        post = self._post(post_id)
        if name not in self.reactions:
            raise Rejected(f"unknown reaction {name!r}", status=422, code="invalid_field")
        if post.username == username:
            raise AuthError("you cannot react to your own post", status=403, code="forbidden")
        who = self.reactions_by_post.setdefault(post_id, {}).setdefault(name, set())
        (who.add if on else who.discard)(username)
        if on:
            self.reacted_at.setdefault((post_id, name, username), self._tick())
        else:
            self.reacted_at.pop((post_id, name, username), None)
        row = self.topic_rows[post.topic_id]
        self._record(
            "reaction.changed",
            topic_id=row.id,
            post_id=post_id,
            category_id=row.category_id,
            data={"name": name, "on": on},
        )
        self._leave("react")
        return self._view(post)

    async def set_solution(self, topic_id: int, post_id: int | None) -> None:
        self._enter("set_solution")
        self._need_login()
        row = self._row(topic_id)
        if post_id is not None and post_id not in row.post_ids:
            raise Rejected("that post is not in this topic", status=422, code="invalid_field")
        if row.solution_post_id != post_id:
            row.solution_post_id = post_id
            self._record(
                "solution.changed", topic_id=row.id, post_id=post_id, category_id=row.category_id
            )
        self._leave("set_solution")

    async def set_read(self, topic_id: int, post_number: int) -> None:
        self._enter("set_read")
        self._need_login()
        self._row(topic_id)
        self.read_marks[topic_id] = max(self.read_marks.get(topic_id, 0), post_number)
        self._leave("set_read")

    async def bookmark(self, post_id: int, on: bool) -> None:
        self._enter("bookmark")
        self._need_login()
        self._post(post_id)
        (self.bookmarked.add if on else self.bookmarked.discard)(post_id)
        self._leave("bookmark")

    async def find_own_post(
        self, topic_id: int, raw: str, *, since_post_number: int
    ) -> Post | None:
        self._enter("find_own_post")
        username = self._need_login()
        for post_id in reversed(self._row(topic_id).post_ids):
            post = self.post_rows[post_id]
            if post.post_number <= since_post_number:
                break
            if post.username == username and post.raw == raw and not post.deleted:
                return self._view(post)
        return None

    # -- ForumBackend: staying up to date -------------------------------------------------

    async def changes(self, cursor: str | None, *, wait: float = 0.0) -> ChangeBatch:
        self._enter("changes")
        if cursor is None:
            return ChangeBatch(changes=(), cursor=str(self._seq))
        try:
            since = int(cursor)
        except ValueError:
            return ChangeBatch(changes=(), cursor=str(self._seq), reset=True)
        oldest = self.change_log[0].seq if self.change_log else None
        first_kept = oldest if oldest is not None else self._seq + 1
        if since > self._seq or since < first_kept - 1:
            return ChangeBatch(changes=(), cursor=str(self._seq), reset=True)
        if since == self._seq and wait > 0:
            self._news = asyncio.Event()
            try:
                await asyncio.wait_for(self._news.wait(), timeout=wait)
            except TimeoutError:
                pass
            finally:
                self._news = None
            if self.offline:
                raise Offline("the fake forum went offline", ambiguous=False)
        news = tuple(c for c in self.change_log if c.seq is not None and c.seq > since)
        return ChangeBatch(changes=news, cursor=str(self._seq))

    async def aclose(self) -> None:
        self.closed = True


__all__ = ["START", "FakeBackend"]
