"""Generate a large, realistic forum for benchmarks and scale tests.

    python bench/generate.py --db PATH [--posts 100000] [--long-thread 10000] [--users 200]
                             [--topics N] [--seed 1] [--method bulk|ops]

The forum is first planned in memory as a time-ordered list of member actions (create a
topic, reply, react, accept an answer, edit, delete, bookmark, read...), all drawn from
a seeded RNG, so a seed always gives the same forum. The plan is then written one of two
ways:

- `ops` replays every action through server.store.ops, exactly as the API would. It is
  the reference, and too slow for 100k posts (about 1,500 posts/s on a small machine).
- `bulk` (the default) replays the same actions in memory, with the same rules as ops
  (counters, reply notices, quotes, mentions, links found by the server's own parser,
  who may see what), and writes the final rows with executemany in one transaction. The
  full-text indexes fill through the schema's own triggers.

Both give the same rows (tests/test_bench_generate.py compares them), except the change
feed, which bulk leaves empty, and timestamps ops takes from the clock instead of the plan.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: bench/server.py must not shadow server/
    _ROOT = Path(__file__).resolve().parent.parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
    sys.path.insert(0, str(_ROOT))

from bench import words
from server.settings import DEFAULT_REACTIONS
from server.store import accounts, ops
from server.store.db import open_database
from server.store.links import (
    extract_links,
    extract_mentions,
    extract_quoted_users,
)
from server.store.viewer import Viewer

DAY = 86400.0
HOUR = 3600.0
SPAN_DAYS = 365
MAX_TOPIC_POSTS = 1000
PHRASES = 40_000
MODERATORS = 3
MENTORS = 20
GROUP = "mentors"

# slug, name, description, share of topics, restricted to GROUP
CATEGORIES = [
    ("general", "General", "Introductions, check-ins and everything else.", 0.25, False),
    ("help", "Help", "Stuck? Ask here, and mark the answer that solved it.", 0.35, False),
    ("projects", "Projects", "Show what you are building and get feedback.", 0.15, False),
    ("resources", "Resources", "Tutorials, books, videos and links worth sharing.", 0.12, False),
    ("study-groups", "Study groups", "Find people to learn with.", 0.08, False),
    ("mentors", "Mentors", "The mentor team's own corner.", 0.05, True),
]
SOLVED_SHARE = {"help": 0.5, "projects": 0.1}
LINK_SHARE = {"resources": 0.5}
REACTION_WEIGHTS = [60, 10, 8, 6, 5, 6, 5]  # for DEFAULT_REACTIONS, in order


def _unique(seq: list[str]) -> list[str]:
    return list(dict.fromkeys(seq))


VOCAB = _unique(words.FUNCTION_WORDS + words.CONTENT_WORDS + words.TECH_WORDS)
_CUM: list[float] = []
_total = 0.0
for _rank in range(len(VOCAB)):
    _total += 1.0 / (_rank + 2) ** 0.9
    _CUM.append(_total)


# -- the plan -----------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Post:
    topic: Topic
    number: int
    user: int
    reply_to: int | None
    at: float
    id: int = 0
    raw: str = ""
    edit_at: float | None = None
    edit_raw: str = ""
    delete_at: float | None = None
    delete_by: int = 0


@dataclass(slots=True, eq=False)
class Topic:
    category: int
    user: int
    at: float
    size: int
    id: int = 0
    title: str = ""
    tags: list[str] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    long: bool = False


@dataclass
class Plan:
    now: float
    users: list[tuple[str, str, bool, float]]  # username, name, moderator, created_at
    mentors: list[int]  # user ids in GROUP (besides moderators, who see everything)
    topics: list[Topic]
    events: list[tuple[float, int, str, Any]]  # (at, seq, kind, payload), sorted
    long_topic: Topic | None
    rare_counts: dict[str, int]


class _Planner:
    def __init__(self, seed: int, now: float, n_users: int) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - SPAN_DAYS * DAY
        self.n_users = n_users
        self.events: list[tuple[float, int, str, Any]] = []
        self.rare_counts = dict.fromkeys(words.RARE_WORDS, 0)

    def event(self, at: float, kind: str, payload: Any) -> None:
        self.events.append((at, len(self.events), kind, payload))

    # -- people -------------------------------------------------------------------------

    def make_users(self) -> None:
        rng = self.rng
        names: dict[str, str] = {}
        firsts, lasts = words.FIRST_NAMES, words.LAST_NAMES
        while len(names) < self.n_users:
            first, last = rng.choice(firsts), rng.choice(lasts)
            style = rng.random()
            if style < 0.5:
                username = f"{first}_{last}"
            elif style < 0.8:
                username = f"{first}{last[0]}{rng.randint(1, 99)}"
            else:
                username = f"{first}.{last}"
            if username.lower() in names:
                continue
            names[username.lower()] = f"{first.title()} {last.title()}"
        self.users = [
            (u, n, i < MODERATORS, self.start - rng.uniform(1, 60) * DAY)
            for i, (u, n) in enumerate(names.items())
        ]
        self.usernames = [u[0] for u in self.users]  # index i is user id i + 1
        self.moderators = list(range(1, min(MODERATORS, self.n_users) + 1))
        others = list(range(len(self.moderators) + 1, self.n_users + 1))
        self.mentors = sorted(rng.sample(others, min(MENTORS, len(others))))
        # A few people write most of the posts, as on any forum.
        order = list(range(1, self.n_users + 1))
        rng.shuffle(order)
        weights = {uid: 1.0 / (rank + 1) ** 0.8 for rank, uid in enumerate(order)}
        self.everyone = self._pool(order, weights)
        inner = [u for u in order if u in set(self.mentors) | set(self.moderators)]
        self.insiders = self._pool(inner, weights)

    @staticmethod
    def _pool(ids: list[int], weights: dict[int, float]) -> tuple[list[int], list[float]]:
        cum: list[float] = []
        total = 0.0
        for uid in ids:
            total += weights[uid]
            cum.append(total)
        return ids, cum

    def who(self, restricted: bool, avoid: int | None = None) -> int:
        ids, cum = self.insiders if restricted else self.everyone
        for _ in range(4):
            uid = self.rng.choices(ids, cum_weights=cum)[0]
            if uid != avoid:
                return uid
        return uid

    # -- topics and posts ---------------------------------------------------------------

    def topic_sizes(self, n_topics: int, rest: int, cap: int) -> list[int]:
        if n_topics == 0:
            return []
        rng = self.rng
        weights = [rng.lognormvariate(0, 1.2) for _ in range(n_topics)]
        total = sum(weights)
        extra = rest - n_topics
        sizes = [1 + int(extra * w / total) for w in weights]
        for i in rng.choices(range(n_topics), weights=weights, k=rest - sum(sizes)):
            sizes[i] += 1
        overflow = 0
        for i, s in enumerate(sizes):
            if s > cap:
                overflow += s - cap
                sizes[i] = cap
        while overflow:
            i = rng.randrange(n_topics)
            if sizes[i] < cap:
                sizes[i] += 1
                overflow -= 1
        return sizes

    def make_topics(self, n_topics: int, rest: int, long_thread: int) -> None:
        rng = self.rng
        cap = _topic_cap(long_thread)
        if rest > n_topics * cap:
            raise ValueError(
                f"{rest} posts do not fit in {n_topics} topics of at most {cap} "
                "posts (besides the long thread); ask for more --topics"
            )
        sizes = self.topic_sizes(n_topics, rest, cap)
        cat_ids = list(range(1, len(CATEGORIES) + 1))
        shares = [c[3] for c in CATEGORIES]
        cats = rng.sample(cat_ids, min(len(cat_ids), n_topics))  # every category gets a topic
        cats += rng.choices(cat_ids, weights=shares, k=n_topics - len(cats))
        topics: list[Topic] = []
        for size, cat in zip(sizes, cats, strict=True):
            at = rng.uniform(self.start, self.now - HOUR)
            topics.append(Topic(cat, self.who(CATEGORIES[cat - 1][4]), at, size))
        self.long_topic: Topic | None = None
        if long_thread:
            general = 1
            self.long_topic = Topic(
                general, self.moderators[0], self.start + DAY / 2, long_thread, long=True
            )
            topics.append(self.long_topic)
        for topic in topics:
            self.make_posts(topic)
            self.event(topic.at, "topic", topic)
            for post in topic.posts[1:]:
                self.event(post.at, "post", post)
        self.topics = topics

    def make_posts(self, topic: Topic) -> None:
        rng = self.rng
        restricted = CATEGORIES[topic.category - 1][4]
        if topic.long:
            span = self.now - topic.at - 60
        else:
            span = min(
                self.now - topic.at - 1, rng.expovariate(1 / (2 * DAY)) * (1 + topic.size / 10)
            )
        times = sorted(rng.uniform(topic.at, topic.at + span) for _ in range(topic.size - 1))
        posts = [Post(topic, 1, topic.user, None, topic.at)]
        for n, at in enumerate(times, start=2):
            r = rng.random()
            if r < 0.3:
                reply_to = None
            elif r < 0.6:
                reply_to = n - 1  # a conversation: chains run deep
            elif r < 0.75:
                reply_to = 1
            else:
                reply_to = rng.randint(max(1, n - 40), n - 1)
            parent_user = posts[(reply_to or 1) - 1].user
            mine = rng.random() < 0.2  # the asker answers back
            user = topic.user if mine else self.who(restricted, avoid=parent_user)
            posts.append(Post(topic, n, user, reply_to, at))
        topic.posts = posts

    def assign_ids(self) -> None:
        """Ids in the order the actions happen, as the live server would number them."""
        self.events.sort(key=lambda e: (e[0], e[1]))
        topic_id = post_id = 0
        for _, _, kind, payload in self.events:
            if kind == "topic":
                topic_id += 1
                payload.id = topic_id
                post_id += 1
                payload.posts[0].id = post_id
            else:
                post_id += 1
                payload.id = post_id

    # -- text ---------------------------------------------------------------------------

    def make_phrases(self) -> None:
        """Sentences are joined from a pool of Zipf-drawn phrases: drawing every word of
        100k posts one by one would take most of the generation time."""
        rng = self.rng
        self.phrases = [
            " ".join(rng.choices(VOCAB, cum_weights=_CUM, k=3 + int(rng.random() * 6)))
            for _ in range(PHRASES)
        ]

    def sentence(self) -> str:
        r = self.rng.random
        phrases = self.phrases
        text = phrases[int(r() * PHRASES)]
        if r() < 0.6:
            glue = ", " if r() < 0.3 else " "
            text = text + glue + phrases[int(r() * PHRASES)]
        if r() < 0.4:
            text = words.OPENERS[int(r() * len(words.OPENERS))] + " " + text
        else:
            text = text[0].upper() + text[1:]
        end = r()
        return text + ("?" if end < 0.12 else "!" if end < 0.15 else ".")

    def paragraph(self) -> str:
        return " ".join([self.sentence() for _ in range(1 + int(self.rng.random() * 4))])

    def link(self) -> str:
        rng = self.rng
        url, title = self.url()
        style = rng.random()
        if style < 0.5:
            return f"See [{title}]({url}) for this."
        if style < 0.9:
            return f"This helped me: {url}"
        return f"Bookmark <{url}>, it is worth it."

    def url(self) -> tuple[str, str]:
        rng = self.rng
        popular = words.POPULAR_LINKS
        if rng.random() < 0.55:
            i = min(int(rng.expovariate(0.25)), len(popular) - 1)
            return popular[i]
        site = words.LINK_SITES[int(rng.random() * len(words.LINK_SITES))]
        a = VOCAB[rng.randrange(60, len(VOCAB))]
        b = VOCAB[min(int(rng.expovariate(1 / 40)) + 60, len(VOCAB) - 1)]
        return f"https://{site}/{a}/{b}", f"{a.title()} and {b}"

    def body(self, post: Post) -> str:
        rng = self.rng
        topic = post.topic
        slug = CATEGORIES[topic.category - 1][0]
        parts: list[str] = []
        if post.reply_to is not None and rng.random() < 0.06:
            parent = topic.posts[post.reply_to - 1]
            first = parent.raw.split("\n", 1)[0]
            if first and not first.startswith(("[quote", "```", "- ")):
                excerpt = " ".join(first.split()[:12])
                who = self.usernames[parent.user - 1]
                parts.append(
                    f'[quote="{who}, post:{parent.number}, topic:{topic.id}"]\n{excerpt}\n[/quote]'
                )
        n_paras = 1 + min(int(rng.expovariate(1.2)), 6)
        for _ in range(n_paras):
            parts.append(self.paragraph())
        r = rng.random()
        if r < (0.15 if slug in ("help", "projects") else 0.05):
            lang, code = words.CODE_SNIPPETS[rng.randrange(len(words.CODE_SNIPPETS))]
            parts.insert(rng.randint(1, len(parts)), f"```{lang}\n{code}\n```")
        elif r < 0.2:
            parts.append("\n".join(f"- {self.sentence()}" for _ in range(rng.randint(2, 4))))
        if rng.random() < LINK_SHARE.get(slug, 0.05):
            parts.append(self.link())
            if rng.random() < 0.15:
                url, _ = self.url()
                parts.append(f"Another one: {url}")
        if rng.random() < 0.03:
            who = self.usernames[rng.randrange(self.n_users)]
            parts.append(f"What do you think, @{who}?")
        if rng.random() < 0.01:
            rare = rng.choice(words.RARE_WORDS)
            self.rare_counts[rare] += 1
            parts.append(f"Funny aside: this reminds me of a {rare}.")
        return "\n\n".join(parts)

    def title(self, topic: Topic) -> str:
        rng = self.rng
        if topic.long:
            return "Daily check-in: what are you learning today?"
        if CATEGORIES[topic.category - 1][4]:
            pattern = "Mentor sync: {w} {w} for {t}"
        else:
            pattern = rng.choice(words.TITLE_PATTERNS)
        techs = rng.sample(words.TECH_WORDS, 2)
        out = pattern.replace("{t2}", techs[1]).replace("{T}", techs[0].title())
        out = out.replace("{t}", techs[0]).replace("{n}", str(rng.randint(1, 52)))
        while "{w}" in out:
            out = out.replace("{w}", VOCAB[rng.randrange(40, len(VOCAB))], 1)
        return out

    def write_text(self) -> None:
        rng = self.rng
        for topic in self.topics:
            topic.title = self.title(topic)
            tags = words.TAGS_BY_CATEGORY[CATEGORIES[topic.category - 1][0]]
            topic.tags = rng.sample(tags, min(3, int(rng.expovariate(0.9))))
            for post in topic.posts:
                post.raw = self.body(post)

    # -- everything that happens to posts after they are written -----------------------

    def _later(self, at: float, mean: float, limit: float | None = None) -> float | None:
        when = at + self.rng.expovariate(1 / mean)
        end = self.now - 1 if limit is None else min(limit, self.now - 1)
        return when if when < end else None

    def make_history(self) -> None:
        rng = self.rng
        reactions = list(DEFAULT_REACTIONS)
        for topic in self.topics:
            restricted = CATEGORIES[topic.category - 1][4]
            slug = CATEGORIES[topic.category - 1][0]
            for post in topic.posts[1:]:
                r = rng.random()
                if r < 0.004:
                    post.delete_at = self._later(post.at, 3 * HOUR)
                    if post.delete_at is not None:
                        post.delete_by = (
                            post.user if rng.random() < 0.85 else rng.choice(self.moderators)
                        )
                        self.event(post.delete_at, "delete", post)
                elif r < 0.02:
                    self.edit(post)
            if rng.random() < 0.015:
                self.edit(topic.posts[0])
            for post in topic.posts:
                lam = 2.5 if post.number == 1 else 0.9
                count = int(rng.expovariate(1 / lam))
                seen: set[tuple[int, str]] = set()
                for _ in range(count):
                    user = self.who(restricted, avoid=post.user)
                    name = rng.choices(reactions, weights=REACTION_WEIGHTS)[0]
                    when = self._later(post.at, 6 * HOUR, post.delete_at)
                    if user == post.user or (user, name) in seen or when is None:
                        continue
                    seen.add((user, name))
                    self.event(when, "react", (post, user, name))
                if post.delete_at is None and rng.random() < 0.01:
                    user = self.who(restricted)
                    when = self._later(post.at, DAY)
                    if when is not None:
                        self.event(when, "bookmark", (post, user))
            alive = [p for p in topic.posts[1:] if p.delete_at is None]
            if alive and not topic.long and rng.random() < SOLVED_SHARE.get(slug, 0.05):
                others = [p for p in alive if p.user != topic.user] or alive
                answer = others[min(int(rng.expovariate(0.5)), len(others) - 1)]
                actor = topic.user if rng.random() < 0.9 else rng.choice(self.moderators)
                when = self._later(answer.at, 12 * HOUR)
                if when is not None:
                    self.event(when, "solve", (topic, answer, actor))
            last = topic.posts[-1].at
            if not topic.long and topic.size > 1 and rng.random() < 0.01:
                when = self._later(last, DAY)
                if when is not None:
                    self.event(when, "close", (topic, rng.choice(self.moderators)))
        self.pin_welcomes()
        self.make_reading()

    def edit(self, post: Post) -> None:
        post.edit_at = self._later(post.at, 2 * HOUR)
        if post.edit_at is not None:
            post.edit_raw = post.raw + "\n\nEdit: " + self.sentence()
            self.event(post.edit_at, "edit", post)

    def pin_welcomes(self) -> None:
        """The oldest topic of each category is pinned, as a welcome would be."""
        first: dict[int, Topic] = {}
        for topic in self.topics:
            if not topic.long and (
                topic.category not in first or topic.at < first[topic.category].at
            ):
                first[topic.category] = topic
        for topic in first.values():
            self.event(topic.at + 60, "pin", (topic, self.moderators[0]))

    def make_reading(self) -> None:
        """Each member has read some topics (not always to the end), and looked at their
        notifications two days ago."""
        rng = self.rng
        public = [t for t in self.topics if not CATEGORIES[t.category - 1][4]]
        inner = set(self.mentors) | set(self.moderators)
        for uid in range(1, self.n_users + 1):
            pool = self.topics if uid in inner else public
            k = int(len(pool) * rng.uniform(0.005, 0.1))
            for topic in rng.sample(pool, k):
                number = topic.size if rng.random() < 0.6 else rng.randint(1, topic.size)
                when = self.now - rng.uniform(60, 3 * DAY)
                if when > topic.at:
                    self.event(when, "read", (uid, topic, number))
            self.event(self.now - 2 * DAY, "seen", uid)


def _topic_cap(long_thread: int) -> int:
    """The most posts another topic may have: fewer than the long thread, so it is the one."""
    return min(MAX_TOPIC_POSTS, long_thread - 1) if long_thread >= 2 else MAX_TOPIC_POSTS


def make_plan(
    *, posts: int, long_thread: int, users: int, topics: int | None, seed: int, now: float
) -> Plan:
    if posts < 1:
        raise ValueError("--posts must be at least 1")
    if not 0 <= long_thread <= posts:
        raise ValueError("--long-thread must be between 0 and --posts")
    if users < 5:
        raise ValueError("--users must be at least 5")
    rest = posts - long_thread
    if topics is None:  # about 25 posts a topic, and enough topics to hold them
        cap = _topic_cap(long_thread)
        topics = max(1, round(rest / 25), -(-rest // cap)) if rest else 0
    if topics > rest or (rest and topics < 1):
        raise ValueError(
            f"--topics must be between 1 and {rest} (the posts besides the long thread)"
        )
    planner = _Planner(seed, now, users)
    planner.make_users()
    planner.make_phrases()
    planner.make_topics(topics, rest, long_thread)
    planner.assign_ids()
    planner.topics.sort(key=lambda t: t.id)
    planner.write_text()
    planner.make_history()
    planner.events.sort(key=lambda e: (e[0], e[1]))
    return Plan(
        now,
        planner.users,
        planner.mentors,
        planner.topics,
        planner.events,
        planner.long_topic,
        planner.rare_counts,
    )


# -- writing the plan ---------------------------------------------------------------------


def _setup(conn: sqlite3.Connection, plan: Plan) -> None:
    """Users, the group and the categories, through the store's own functions."""
    for username, name, moderator, created_at in plan.users:
        accounts.add_user(conn, username, name=name, moderator=moderator, created_at=created_at)
    accounts.add_group(conn, GROUP)
    for uid in plan.mentors:
        accounts.add_group_member(conn, GROUP, plan.users[uid - 1][0])
    for position, (slug, name, description, _, restricted) in enumerate(CATEGORIES, start=1):
        accounts.add_category(
            conn,
            slug,
            name,
            description=description,
            groups=[GROUP] if restricted else [],
            position=position,
        )


def _write_ops(conn: sqlite3.Connection, plan: Plan) -> None:
    """Every action through server.store.ops, as the API would run it."""
    viewers = [Viewer(None)] + [Viewer(i + 1, u[0], u[2]) for i, u in enumerate(plan.users)]
    allowed = list(DEFAULT_REACTIONS)
    for i, (_, _, kind, p) in enumerate(plan.events):
        if i % 5000 == 0 and i:
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
        if kind == "topic":
            ops.create_topic(
                conn,
                viewers[p.user],
                title=p.title,
                raw=p.posts[0].raw,
                category=p.category,
                tags=p.tags,
                created_at=p.at,
            )
        elif kind == "post":
            ops.create_post(
                conn,
                viewers[p.user],
                p.topic.id,
                raw=p.raw,
                reply_to_post_number=p.reply_to,
                created_at=p.at,
            )
        elif kind == "react":
            post, user, name = p
            ops.set_reaction(conn, viewers[user], post.id, name, True, allowed)
        elif kind == "solve":
            topic, answer, actor = p
            ops.set_solution(conn, viewers[actor], topic.id, answer.id)
        elif kind == "delete":
            ops.delete_post(conn, viewers[p.delete_by], p.id)
        elif kind == "edit":
            ops.edit_post(conn, viewers[p.user], p.id, raw=p.edit_raw, expected_version=1)
        elif kind == "bookmark":
            post, user = p
            ops.set_bookmark(conn, viewers[user], post.id, True)
        elif kind in ("pin", "close"):
            topic, moderator = p
            flag = "pinned" if kind == "pin" else "closed"
            ops.update_topic(conn, viewers[moderator], topic.id, {flag: True})
        elif kind == "read":
            user, topic, number = p
            ops.set_read(conn, viewers[user], topic.id, number)
        elif kind == "seen":
            ops.mark_notifications_read(conn, viewers[p], None)


_NOTICE_RANK = {"reply": 3, "quoted": 2, "mention": 1}


def _blocks(raw: str, needle: str) -> list[str]:
    """The parts of a post that can hold `needle`, for the server's Markdown extractors.

    Parsing whole posts with markdown-it costs about half a millisecond each. Generated
    posts are blocks separated by blank lines, with no reference definitions or HTML, so
    parsing just the blocks that contain the needle finds the same links and mentions in
    the same order; a fenced code block may hold blank lines, so a post with one is
    parsed whole.
    """
    if needle not in raw:
        return []
    if "```" in raw:
        return [raw]
    return [block for block in raw.split("\n\n") if needle in block]


class _Simulation:
    """The plan replayed in memory with the rules of server.store.ops, keeping final rows."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.by_name = {u[0].lower(): i + 1 for i, u in enumerate(plan.users)}
        self.moderators = {i + 1 for i, u in enumerate(plan.users) if u[2]}
        self.members = set(plan.mentors)
        self.restricted = {i + 1 for i, c in enumerate(CATEGORIES) if c[4]}
        # topics[id] = [category_id, user_id, title, created_at, bumped_at,
        #               highest_post_number, posts_count, like_count, closed, pinned,
        #               solution_post_id]
        self.topics: dict[int, list[Any]] = {}
        # posts[id] = [id, topic_id, post_number, reply_to, user_id, raw, created_at,
        #              updated_at, version, like_count, reply_count, deleted_at, deleted_by]
        self.posts: list[list[Any]] = [[]]
        self.notifications: list[list[Any]] = []
        self.unread: dict[int, list[list[Any]]] = {}
        self.links: dict[int, tuple[Any, ...]] = {}
        self.post_links: dict[int, list[int]] = {}
        self.max_link = 0
        self.reactions: list[tuple[Any, ...]] = []
        self.bookmarks: dict[tuple[int, int], float] = {}
        self.read_state: dict[tuple[int, int], list[Any]] = {}

    def can_see(self, user_id: int, category_id: int) -> bool:
        return (
            category_id not in self.restricted
            or user_id in self.moderators
            or user_id in self.members
        )

    def notify(
        self,
        user_id: int,
        kind: str,
        actor: int,
        topic_id: int,
        post_id: int,
        at: float,
        data: str = "{}",
    ) -> None:
        if user_id == actor or not self.can_see(user_id, self.topics[topic_id][0]):
            return
        row = [len(self.notifications) + 1, user_id, kind, actor, topic_id, post_id, data, at, None]
        self.notifications.append(row)
        self.unread.setdefault(user_id, []).append(row)

    def drop_links(self, post_id: int) -> None:
        for link_id in self.post_links.pop(post_id, []):
            del self.links[link_id]
            if link_id == self.max_link:
                self.max_link = max(self.links, default=0)

    def save_links(self, post_id: int, at: float) -> None:
        self.drop_links(post_id)
        row = self.posts[post_id]
        found = [link for block in _blocks(row[5], "http") for link in extract_links(block)]
        ids = []
        for position, link in enumerate(found):
            self.max_link += 1  # SQLite's rowid: one more than the largest in the table
            self.links[self.max_link] = (
                self.max_link,
                post_id,
                row[1],
                row[4],
                link.url,
                link.title,
                position,
                at,
            )
            ids.append(self.max_link)
        if ids:
            self.post_links[post_id] = ids

    def add_post(self, post: Post, at: float) -> None:
        topic = self.topics[post.topic.id]
        number = topic[5] + 1
        assert number == post.number and post.id == len(self.posts)
        self.posts.append(
            [
                post.id,
                post.topic.id,
                number,
                post.reply_to,
                post.user,
                post.raw,
                at,
                at,
                1,
                0,
                0,
                None,
                None,
            ]
        )
        topic[4], topic[5], topic[6] = at, number, topic[6] + 1
        reply_to_user = None
        if post.reply_to is not None:
            parent = self.posts[post.topic.posts[post.reply_to - 1].id]
            parent[10] += 1
            reply_to_user = parent[4]
        elif number > 1:
            reply_to_user = topic[1]
        self.save_links(post.id, at)
        notices: dict[int, str] = {}

        def offer(user_id: int, kind: str) -> None:
            if _NOTICE_RANK[kind] > _NOTICE_RANK.get(notices.get(user_id, ""), 0):
                notices[user_id] = kind

        if reply_to_user is not None:
            offer(reply_to_user, "reply")
        if "[quote=" in post.raw:
            for name in extract_quoted_users(post.raw):
                if name.lower() in self.by_name:
                    offer(self.by_name[name.lower()], "quoted")
        for block in _blocks(post.raw, "@"):
            for name in extract_mentions(block):
                if name.lower() in self.by_name:
                    offer(self.by_name[name.lower()], "mention")
        for user_id, kind in notices.items():
            self.notify(user_id, kind, post.user, post.topic.id, post.id, at)

    def run(self) -> None:
        for at, _, kind, p in self.plan.events:
            if kind == "topic":
                self.topics[p.id] = [p.category, p.user, p.title, at, at, 0, 0, 0, 0, 0, None]
                self.add_post(p.posts[0], at)
            elif kind == "post":
                self.add_post(p, at)
            elif kind == "react":
                post, user, name = p
                self.reactions.append((post.id, user, name, at))
                if name == "like":
                    self.posts[post.id][9] += 1
                    self.topics[post.topic.id][7] += 1
                self.notify(
                    post.user,
                    "reaction",
                    user,
                    post.topic.id,
                    post.id,
                    at,
                    json.dumps({"reaction": name}),
                )
            elif kind == "solve":
                topic, answer, actor = p
                if self.topics[topic.id][10] != answer.id:
                    self.topics[topic.id][10] = answer.id
                    self.notify(answer.user, "solved", actor, topic.id, answer.id, at)
            elif kind == "delete":
                row = self.posts[p.id]
                row[11], row[12] = at, p.delete_by
                self.drop_links(p.id)
            elif kind == "edit":
                row = self.posts[p.id]
                row[5], row[7], row[8] = p.edit_raw, at, row[8] + 1
                self.save_links(p.id, at)
            elif kind == "bookmark":
                post, user = p
                self.bookmarks.setdefault((user, post.id), at)
            elif kind in ("pin", "close"):
                topic, _ = p
                self.topics[topic.id][9 if kind == "pin" else 8] = 1
            elif kind == "read":
                user, topic, number = p
                number = min(number, self.topics[topic.id][5])
                old = self.read_state.get((user, topic.id))
                if old is None:
                    self.read_state[(user, topic.id)] = [number, at]
                elif number > old[0]:
                    old[0], old[1] = number, at
            elif kind == "seen":
                for row in self.unread.pop(p, []):
                    row[8] = at


def _insert_staged(conn: sqlite3.Connection, table: str, columns: str, rows: list[Any]) -> None:
    """Rows into a table with full-text triggers, through a temporary table and ONE insert.

    The triggers still index every row; but FTS5 flushes its pending terms at every
    statement savepoint, so executemany straight into `posts` would write one index
    segment per post and spend most of its time merging them (about five times slower).
    """
    staging = f"load_{table}"
    conn.execute(f"CREATE TEMP TABLE {staging} AS SELECT {columns} FROM main.{table} WHERE 0")
    marks = ", ".join("?" * len(columns.split(",")))
    conn.executemany(f"INSERT INTO temp.{staging} VALUES ({marks})", rows)
    conn.execute(
        f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM temp.{staging} ORDER BY id"
    )
    conn.execute(f"DROP TABLE temp.{staging}")


def _write_bulk(conn: sqlite3.Connection, plan: Plan) -> None:
    sim = _Simulation(plan)
    sim.run()
    _insert_staged(
        conn,
        "topics",
        "id, category_id, user_id, title, created_at, bumped_at, highest_post_number, "
        "posts_count, like_count, closed, pinned, solution_post_id",
        [(tid, *row) for tid, row in sorted(sim.topics.items())],
    )
    conn.executemany(
        "INSERT INTO topic_tags (topic_id, tag) VALUES (?, ?)",
        ((t.id, tag) for t in plan.topics for tag in t.tags),
    )
    _insert_staged(
        conn,
        "posts",
        "id, topic_id, post_number, reply_to_post_number, user_id, raw, created_at, "
        "updated_at, version, like_count, reply_count, deleted_at, deleted_by",
        sim.posts[1:],
    )
    conn.executemany(
        """INSERT INTO links (id, post_id, topic_id, user_id, url, title, position, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (sim.links[i] for i in sorted(sim.links)),
    )
    conn.executemany(
        "INSERT INTO reactions (post_id, user_id, name, created_at) VALUES (?, ?, ?, ?)",
        sim.reactions,
    )
    conn.executemany(
        "INSERT INTO bookmarks (user_id, post_id, created_at) VALUES (?, ?, ?)",
        ((u, p, at) for (u, p), at in sim.bookmarks.items()),
    )
    conn.executemany(
        """INSERT INTO read_state (user_id, topic_id, last_read_post_number, updated_at)
           VALUES (?, ?, ?, ?)""",
        ((u, t, n, at) for (u, t), (n, at) in sim.read_state.items()),
    )
    conn.executemany(
        """INSERT INTO notifications (id, user_id, kind, actor_id, topic_id, post_id, data,
             created_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        sim.notifications,
    )


def _reply_depth(topics: list[Topic]) -> int:
    deepest = 0
    for topic in topics:
        depth = [0] * (topic.size + 1)
        for post in topic.posts:
            if post.reply_to is not None:
                depth[post.number] = depth[post.reply_to] + 1
        deepest = max(deepest, *depth)
    return deepest


def generate(
    db_path: Path | str,
    posts: int = 100_000,
    long_thread: int = 10_000,
    users: int = 200,
    seed: int = 1,
    *,
    topics: int | None = None,
    now: float | None = None,
    method: str = "bulk",
) -> dict[str, Any]:
    """Write a generated forum into a new (or empty) database; returns what it made."""
    if method not in ("bulk", "ops"):
        raise ValueError("method must be bulk or ops")
    started = time.perf_counter()
    plan = make_plan(
        posts=posts,
        long_thread=long_thread,
        users=users,
        topics=topics,
        seed=seed,
        now=time.time() if now is None else now,
    )
    planned = time.perf_counter()
    conn = open_database(db_path)
    try:
        if conn.execute("SELECT COUNT(*) FROM categories").fetchone()[0]:
            raise ValueError(f"{db_path} already holds a forum; generate into a new file")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: the indexes stay in memory
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("BEGIN IMMEDIATE")
        try:
            _setup(conn, plan)
            (_write_bulk if method == "bulk" else _write_ops)(conn, plan)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        written = time.perf_counter()
        stats = _stats(conn, plan)
    finally:
        conn.close()
    stats.update(
        db=str(db_path),
        method=method,
        seed=seed,
        plan_seconds=round(planned - started, 2),
        write_seconds=round(written - planned, 2),
        seconds=round(written - started, 2),
        max_reply_depth=_reply_depth(plan.topics),
    )
    return stats


def _stats(conn: sqlite3.Connection, plan: Plan) -> dict[str, Any]:
    def one(sql: str) -> Any:
        return conn.execute(sql).fetchone()[0]

    restricted = [c[0] for c in CATEGORIES if c[4]]
    restricted_ids = [i + 1 for i, c in enumerate(CATEGORIES) if c[4]]
    marks = ",".join("?" * len(restricted_ids))
    hidden = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM(posts_count), 0) FROM topics "
        f"WHERE category_id IN ({marks})",
        restricted_ids,
    ).fetchone()
    return {
        "users": one("SELECT COUNT(*) FROM users"),
        "moderators": [u[0] for u in plan.users if u[2]],
        "categories": one("SELECT COUNT(*) FROM categories"),
        "restricted_categories": restricted,
        "group": GROUP,
        "group_members": [plan.users[u - 1][0] for u in plan.mentors],
        "restricted_topics": hidden[0],
        "restricted_posts": hidden[1],
        "topics": one("SELECT COUNT(*) FROM topics"),
        "posts": one("SELECT COUNT(*) FROM posts"),
        "long_thread_topic_id": plan.long_topic.id if plan.long_topic else None,
        "largest_other_topic": conn.execute(
            "SELECT MAX(posts_count) FROM topics WHERE id != ?",
            (plan.long_topic.id if plan.long_topic else 0,),
        ).fetchone()[0],
        "reactions": one("SELECT COUNT(*) FROM reactions"),
        "likes": one("SELECT COALESCE(SUM(like_count), 0) FROM posts"),
        "links": one("SELECT COUNT(*) FROM links"),
        "distinct_urls": one("SELECT COUNT(DISTINCT url) FROM links"),
        "most_shared_url": one(
            "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM links GROUP BY url)"
        ),
        "tags": one("SELECT COUNT(DISTINCT tag) FROM topic_tags"),
        "solved_topics": one("SELECT COUNT(*) FROM topics WHERE solution_post_id IS NOT NULL"),
        "deleted_posts": one("SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL"),
        "edited_posts": one("SELECT COUNT(*) FROM posts WHERE version > 1"),
        "bookmarks": one("SELECT COUNT(*) FROM bookmarks"),
        "read_states": one("SELECT COUNT(*) FROM read_state"),
        "notifications": one("SELECT COUNT(*) FROM notifications"),
        "common_word": words.COMMON_WORD,
        "rare_words": {w: n for w, n in plan.rare_counts.items() if n},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--db", required=True, type=Path, help="new SQLite database file")
    p.add_argument("--posts", type=int, default=100_000, help="posts in all (exactly)")
    p.add_argument(
        "--long-thread", type=int, default=10_000, help="posts in the one long thread (0: none)"
    )
    p.add_argument("--users", type=int, default=200)
    p.add_argument(
        "--topics", type=int, help="topics besides the long thread (default: one per 25 posts)"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--method",
        choices=["bulk", "ops"],
        default="bulk",
        help="bulk inserts (fast) or every action through server.store.ops (slow)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = p.parse_args(argv)
    if args.db.exists() and args.db.stat().st_size > 0:
        p.error(f"{args.db} exists; generate into a new file")
    try:
        stats = generate(
            args.db,
            posts=args.posts,
            long_thread=args.long_thread,
            users=args.users,
            seed=args.seed,
            topics=args.topics,
            method=args.method,
        )
    except ValueError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    size = args.db.stat().st_size / 2**20
    print(
        f"{stats['db']}: {stats['posts']} posts in {stats['topics']} topics "
        f"({size:.0f} MiB), {stats['users']} users, {stats['categories']} categories "
        f"({', '.join(stats['restricted_categories'])} restricted to {stats['group']})"
    )
    print(
        f"  long thread: topic {stats['long_thread_topic_id']}; largest other topic: "
        f"{stats['largest_other_topic']} posts; deepest reply chain: "
        f"{stats['max_reply_depth']}"
    )
    print(
        f"  {stats['reactions']} reactions ({stats['likes']} likes), {stats['links']} links "
        f"to {stats['distinct_urls']} URLs (most shared {stats['most_shared_url']} times), "
        f"{stats['tags']} tags, {stats['solved_topics']} solved topics"
    )
    print(
        f"  {stats['deleted_posts']} deleted and {stats['edited_posts']} edited posts, "
        f"{stats['bookmarks']} bookmarks, {stats['read_states']} read states, "
        f"{stats['notifications']} notifications"
    )
    print(
        f"  took {stats['seconds']:.1f} s ({stats['method']}: planning "
        f"{stats['plan_seconds']:.1f} s, writing {stats['write_seconds']:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
