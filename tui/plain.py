"""What the plain commands do: `cohort latest|read|search|notifications|config|login`,
and `cohort new|reply|send`, which post through the same outbox as the TUI.

They use the same backends and cache as the TUI, so they work offline from the cache and
against both Cohort's server and Discourse. `--plain` prints readable text with no escape
sequences (for scripts and screen readers), `--json` prints the models.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
import textwrap
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from urllib.parse import urlsplit

from tui.forum import models
from tui.forum.backend import ForumBackend, ForumError, Offline
from tui.forum.cache import Cache, cache_path
from tui.forum.config import (
    Config,
    ConfigError,
    Profile,
    app_profiles_path,
    load_config,
    merged_toml,
    profile_for,
)
from tui.forum.connect import open_backend, probe
from tui.forum.document import render_post, to_plain
from tui.forum.models import Freshness
from tui.forum.outbox import Outbox, OutboxItem, OutboxKind, OutboxState, Outcome
from tui.forum.repository import Answer, Repository
from tui.forum.sanitize import clean_line
from tui.forum.secrets import SecretError, SecretStore

if TYPE_CHECKING:
    from tui.forum.login import ForumLogin

T = TypeVar("T")


class CliError(Exception):
    """A problem to report in one line, with the exit status to leave with."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# -- shared plumbing --------------------------------------------------------------------------


@dataclass
class Session:
    config: Config
    profile: Profile
    backend: ForumBackend
    cache: Cache
    repo: Repository


def _config() -> Config:
    try:
        return load_config()
    except ConfigError as exc:
        raise CliError(f"config: {exc}", 2) from exc


@asynccontextmanager
async def session(forum: str | None) -> AsyncIterator[Session]:
    config = _config()
    try:
        profile = config.profile() if forum is None else profile_for(config, forum)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from exc
    if profile.needs_probe:
        assert profile.url is not None
        try:
            profile = profile.probed(await probe(profile.url))
        except ForumError as exc:
            raise CliError(exc.message) from exc
    try:
        secrets = SecretStore(backend=config.secret_store)
    except SecretError as exc:
        raise CliError(str(exc), 2) from exc
    cache = Cache(cache_path(profile.name))
    try:
        async with open_backend(profile, secrets) as backend:
            yield Session(config, profile, backend, cache, Repository(backend, cache))
    finally:
        cache.close()


async def last_answer(answers: AsyncIterator[Answer[T]]) -> tuple[T, Freshness]:
    """The best answer a read gives: fresh, or the cache when the forum is unreachable."""
    best: Answer[T] | None = None
    async for answer in answers:
        if answer.value is not None or best is None:
            best = answer
        elif answer.error is not None:
            best = Answer(best.value, answer.freshness, answer.error)
    if best is None or best.value is None:
        error = best.error if best is not None else None
        raise CliError(error.message if error else "the forum sent nothing")
    if best.error is not None and not isinstance(best.error, Offline):
        raise CliError(best.error.message)
    if best.freshness is Freshness.OFFLINE:
        print("cohort: the forum cannot be reached; showing what was cached", file=sys.stderr)
    return best.value, best.freshness


def emit_json(payload: dict[str, Any], out: TextIO) -> None:
    json.dump(models.dump(payload), out, ensure_ascii=False, indent=2)
    out.write("\n")


def _ago(when: datetime | None) -> str:
    if when is None:
        return ""
    seconds = (datetime.now(UTC) - when).total_seconds()
    for size, unit in ((86400 * 30, "mo"), (86400 * 7, "w"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


def _stamp(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else ""


# -- commands ---------------------------------------------------------------------------------


async def latest(args: argparse.Namespace, out: TextIO) -> int:
    async with session(args.forum) as s:
        category = None
        if args.category:
            categories, _ = await last_answer(s.repo.categories())
            category = next((c for c in categories if c.slug == args.category), None)
            if category is None:
                raise CliError(f"no category {clean_line(args.category)!r} on this forum", 2)
        listed, freshness = await last_answer(
            s.repo.topics(args.filter, category=category, tag=args.tag)
        )
        topics = list(listed.topics)[: max(args.limit, 0)]
        if args.json:
            emit_json({"forum": s.profile.name, "freshness": freshness, "topics": topics}, out)
            return 0
        names: dict[int, str] = {}
        try:
            categories, _ = await last_answer(s.repo.categories())
            names = {c.id: c.name for c in categories}
        except CliError:
            pass
        for t in topics:
            marks = [
                m
                for m, on in (("solved", t.solved), ("pinned", t.pinned), ("closed", t.closed))
                if on
            ]
            line = f"#{t.id}  {t.title}"
            details = [
                names.get(t.category_id, ""),
                f"{t.reply_count} replies",
                _ago(t.bumped_at),
                *marks,
            ]
            if t.unread_count:
                details.append(f"{t.unread_count} unread")
            out.write(line + "\n    " + " · ".join(d for d in details if d) + "\n")
    return 0


_TOPIC_URL = re.compile(r"/t/(?:[^/]+/)?(\d+)(?:/(\d+))?/?$")


def parse_topic(arg: str) -> tuple[int, int | None, str | None]:
    """A topic id, or a topic URL (`/t/slug/123/4` or `/t/123`): (id, post, forum URL)."""
    if arg.isdigit():
        return int(arg), None, None
    parts = urlsplit(arg)
    match = _TOPIC_URL.search(parts.path)
    if parts.scheme not in ("http", "https") or not match:
        raise CliError(f"{clean_line(arg)!r} is neither a topic id nor a topic URL", 2)
    prefix = parts.path[: match.start()]
    forum = f"{parts.scheme}://{parts.netloc}{prefix}"
    post = int(match.group(2)) if match.group(2) else None
    return int(match.group(1)), post, forum


async def read(args: argparse.Namespace, out: TextIO) -> int:
    topic_id, _post, forum_url = parse_topic(args.topic)
    async with session(args.forum or forum_url) as s:
        page, freshness = await last_answer(s.repo.thread(topic_id))
        if args.json:
            emit_json(
                {
                    "forum": s.profile.name,
                    "freshness": freshness,
                    "topic": page.topic,
                    "posts": list(page.posts),
                },
                out,
            )
            return 0
        width = max(args.width, 40)
        t = page.topic
        out.write(f"{t.title}\n{'=' * min(len(t.title), width)}\n")
        facts = [f"#{t.id}", f"{t.posts_count} posts"]
        if t.tags:
            facts.append("tags: " + ", ".join(t.tags))
        if t.solved:
            facts.append(f"solved by post {t.solution_post_number}")
        out.write(" · ".join(facts) + "\n")
        for post in page.posts:
            out.write("\n" + _post_header(post) + "\n")
            if post.deleted:
                out.write("    (deleted)\n")
                continue
            body = to_plain(render_post(post), width=width - 4)
            out.write(textwrap.indent(body.rstrip("\n"), "    ") + "\n")
            if post.reactions:
                out.write("    " + "  ".join(f"{r.name} {r.count}" for r in post.reactions) + "\n")
    return 0


def _post_header(post: models.Post) -> str:
    parts = [f"#{post.post_number}", post.username, _stamp(post.created_at)]
    if post.reply_to_post_number:
        parts.append(f"in reply to #{post.reply_to_post_number}")
    if post.accepted:
        parts.append("accepted answer")
    if post.pending:
        parts.append("pending")
    return " · ".join(p for p in parts if p)


async def search(args: argparse.Namespace, out: TextIO) -> int:
    query = " ".join(args.query)
    async with session(args.forum) as s:
        page, freshness = await last_answer(s.repo.search(query))
        if args.json:
            emit_json(
                {
                    "forum": s.profile.name,
                    "freshness": freshness,
                    "query": query,
                    "results": list(page.results),
                },
                out,
            )
            return 0
        if not page.results:
            out.write("no results\n")
        for r in page.results:
            mark = " (accepted answer)" if r.accepted else " (solved)" if r.solved else ""
            out.write(f"#{r.topic_id}/{r.post_number}  {r.topic_title}{mark}\n")
            blurb = " ".join(r.blurb.split())
            out.write(f"    {r.username}: {textwrap.shorten(blurb, 150)}\n")
    return 0


async def notifications(args: argparse.Namespace, out: TextIO) -> int:
    async with session(args.forum) as s:
        listed, freshness = await last_answer(s.repo.notifications())
        if args.json:
            emit_json(
                {
                    "forum": s.profile.name,
                    "freshness": freshness,
                    "unread_count": listed.unread_count,
                    "notifications": list(listed.notifications),
                },
                out,
            )
            return 0
        if not listed.notifications:
            out.write("no notifications\n")
        for n in listed.notifications:
            what = {
                "reply": "replied to you",
                "mention": "mentioned you",
                "quoted": "quoted you",
                "solved": "accepted your answer",
                "reaction": f"reacted {n.detail}".rstrip(),
            }.get(n.kind, n.kind)
            place = f"#{n.topic_id}/{n.post_number}" if n.topic_id else ""
            unread = "" if n.read else "  (unread)"
            out.write(f"{n.actor} {what} in {n.topic_title} {place}{unread}\n".replace("  ", " "))
    return 0


async def show_config(args: argparse.Namespace, out: TextIO) -> int:
    out.write(merged_toml(_config()))
    return 0


async def login(args: argparse.Namespace, out: TextIO) -> int:
    from tui.forum.login import save_login

    config = _config()
    try:
        profile = profile_for(config, args.forum)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from exc
    if profile.kind in ("embedded", "socket"):
        out.write(f"{profile.name}: no login needed, the forum knows your local account\n")
        return 0
    assert profile.url is not None
    if profile.needs_probe:
        profile = profile.probed(await probe(profile.url))
    secrets = SecretStore(backend=config.secret_store)
    if profile.kind == "cohort":
        done = await _login_cohort(profile, args)
    else:
        done = await _login_discourse(profile, args)
    profile = save_login(done, secrets)
    path = app_profiles_path()
    out.write(f"saved profile {profile.name} in {path}; secrets in {secrets.location}\n")
    return 0


async def _login_cohort(profile: Profile, args: argparse.Namespace) -> ForumLogin:
    from tui.forum.login import cohort_password_login, cohort_token_login

    if args.token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise CliError("no token on standard input", 2)
        return await cohort_token_login(profile, token, args.username)
    username = args.username or input("Username: ").strip()
    password = getpass.getpass(f"Password for {username}: ")
    return await cohort_password_login(profile, username, password)


async def _login_discourse(profile: Profile, args: argparse.Namespace) -> ForumLogin:
    from tui.forum.discourse import auth
    from tui.forum.login import discourse_admin_key_login, discourse_key_login

    assert profile.url is not None
    if args.api_key_stdin:
        if not args.username:
            raise CliError("an admin API key needs --username (its Api-Username)", 2)
        return discourse_admin_key_login(profile, sys.stdin.readline(), args.username)
    padding = "oaep" if args.oaep else profile.padding
    result = await auth.login(
        profile.url,
        prompt=lambda text: input(text),
        say=lambda text: print(text, file=sys.stderr),
        padding=padding,
    )
    return discourse_key_login(profile, result, padding)


def login_form(args: argparse.Namespace, out: TextIO) -> int:
    """`cohort login` alone: the login screen, which asks for everything (a terminal only)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            "name the forum to log in to: cohort login URL (without one, a form opens, "
            "which needs a terminal)",
            2,
        )
    from tui.terminal import StartupError, prepare

    try:
        startup = prepare(args)  # before Textual is imported: it reads --color then
    except StartupError as exc:
        raise CliError(str(exc), 2) from exc
    from tui.first_run import run_login

    try:
        profile = run_login(startup)
    except StartupError as exc:
        raise CliError(str(exc), 2) from exc
    if profile is None:
        print("cohort: no forum was added", file=sys.stderr)
        return 1
    out.write(f"saved profile {profile.name}; open it with: cohort --forum {profile.name}\n")
    return 0


# -- writing: new topics and replies through the outbox ---------------------------------------

EX_TEMPFAIL = 75  # sysexits.h: try again later (the post is queued)


def read_body(stdin: TextIO | None = None) -> str:
    """The post's text from standard input; a terminal or an empty text is refused."""
    stream = stdin or sys.stdin
    if stream.isatty():
        raise CliError(
            "write the post on standard input: cohort reply 12 < note.md, "
            "or: echo 'Thanks!' | cohort reply 12",
            2,
        )
    try:
        text = stream.read()
    except UnicodeDecodeError as exc:
        raise CliError(f"standard input is not UTF-8 text (byte {exc.start})", 2) from exc
    body = text.lstrip("\r\n").rstrip()
    if not body:
        raise CliError("standard input is empty: there is nothing to post", 2)
    return body


@contextmanager
def _outbox(s: Session) -> Iterator[Outbox]:
    from tui.forum.statedb import StateDbError, default_path

    try:
        outbox = Outbox(default_path(), s.profile.name)
    except StateDbError as exc:
        raise CliError(str(exc), 2) from exc
    try:
        yield outbox
    finally:
        outbox.close()


async def _pick_category(s: Session, wanted: str) -> models.Category:
    """`--category` as a slug, a name or an id, from the forum or else the cache."""
    categories: list[models.Category] | None = None
    error: ForumError | None = None
    async for answer in s.repo.categories():
        if answer.value is not None:
            categories = list(answer.value)
        if answer.error is not None:
            error = answer.error
    if categories is None:
        if error is None or isinstance(error, Offline):
            raise CliError(
                "the forum cannot be reached and its categories are not cached, so "
                f"{clean_line(wanted)!r} cannot be checked; nothing was queued",
                EX_TEMPFAIL,
            )
        raise CliError(error.message)
    key = wanted.strip().casefold()
    by_id = [c for c in categories if key.isdigit() and c.id == int(key)]
    by_slug = [c for c in categories if c.slug.casefold() == key]
    by_name = [c for c in categories if c.name.casefold() == key]
    for found in (by_id, by_slug, by_name):
        if found:
            return found[0]
    choices = ", ".join(f"{c.slug} ({c.name})" for c in categories) or "none"
    raise CliError(f"no category {clean_line(wanted)!r} on this forum; choose one of: {choices}", 2)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "-"


def _where(s: Session, item: OutboxItem, title: str | None = None) -> tuple[str, int, int]:
    """Where a sent item landed: its URL (or "topic N post M"), topic and post number."""
    result = item.result
    if isinstance(result, models.TopicPage):
        topic_id = result.topic.id
        first = next((p for p in result.posts if p.post_number == 1), None)
        number = first.post_number if first else 1
        title = result.topic.title
    else:
        assert result is not None
        topic_id, number = result.topic_id, result.post_number
    if s.profile.url is None:
        return f"topic {topic_id} post {number}", topic_id, number
    if title is None:
        cached = s.cache.get_topic(topic_id)
        title = cached.title if cached else ""
    return f"{s.profile.url}/t/{_slug(title)}/{topic_id}/{number}", topic_id, number


def _what(item: OutboxItem) -> str:
    if item.kind is OutboxKind.TOPIC:
        return f"new topic {item.title!r}"
    if item.kind is OutboxKind.REPLY:
        to = f" post {item.reply_to_post_number}" if item.reply_to_post_number else ""
        return f"reply to topic {item.topic_id}{to}"
    return f"edit of post {item.post_id}"


def _item_json(s: Session, item: OutboxItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "outbox_id": item.id,
        "kind": item.kind,
        "state": item.state,
        "reason": item.reason,
    }
    if item.state is OutboxState.SENT and item.result is not None:
        where, topic_id, number = _where(s, item)
        data |= {"topic_id": topic_id, "post_number": number}
        if s.profile.url is not None:
            data["url"] = where
        if isinstance(item.result, models.TopicPage):
            data["topic"] = item.result.topic
            data["post"] = next((p for p in item.result.posts if p.post_number == 1), None)
        else:
            data["post"] = item.result
    return data


QUEUED_NOTE = "it will be delivered by the next `cohort` run or `cohort send`"
PROBLEM_NOTE = "the text is kept in the outbox: open cohort to fix and resend it, or discard it"


async def _post(
    args: argparse.Namespace, out: TextIO, s: Session, outbox: Outbox, item_id: int
) -> int:
    """Send what is due (this item and any earlier one) and say what became of the item."""
    outbox.wake()
    outcomes = await outbox.send_due(s.backend)
    for other in outcomes:
        if other.item.id != item_id:
            print(f"cohort: also {_told(s, other.item)}", file=sys.stderr)
    item = outbox.get(item_id)
    if args.json:
        emit_json({"forum": s.profile.name, **_item_json(s, item)}, out)
    if item.state is OutboxState.SENT:
        if not args.json:
            out.write(_where(s, item, item.title)[0] + "\n")
        return 0
    if item.problem:
        print(f"cohort: the forum refused it: {item.reason}; {PROBLEM_NOTE}", file=sys.stderr)
        return 1
    why = item.reason or "an earlier post to the same topic is still waiting"
    print(f"cohort: not sent yet ({why}); it is queued: {QUEUED_NOTE}", file=sys.stderr)
    return EX_TEMPFAIL


def _told(s: Session, item: OutboxItem) -> str:
    """One line about an item after a delivery round."""
    if item.state is OutboxState.SENT:
        return f"sent {_what(item)}: {_where(s, item, item.title)[0]}"
    if item.problem:
        return f"refused {_what(item)}: {item.reason}"
    return f"queued {_what(item)}: {item.reason or 'waiting'}"


async def new_topic(args: argparse.Namespace, out: TextIO) -> int:
    title = " ".join(args.title.split())
    if not title:
        raise CliError("--title must not be empty", 2)
    tags = [t.strip() for t in args.tag if t.strip()]
    body = read_body()
    async with session(args.forum) as s:
        category = await _pick_category(s, args.category)
        with _outbox(s) as outbox:
            item = outbox.enqueue_topic(title, body, category.id, category.slug, tags)
            return await _post(args, out, s, outbox, item.id)


async def reply(args: argparse.Namespace, out: TextIO) -> int:
    topic_id, post_number, forum_url = parse_topic(args.topic)
    to = args.to if args.to is not None else post_number
    if to is not None and to < 1:
        raise CliError("--to: a post number is 1 or more", 2)
    body = read_body()
    async with session(args.forum or forum_url) as s:
        cached = s.cache.get_topic(topic_id)
        since = cached.highest_post_number if cached and cached.highest_post_number else None
        with _outbox(s) as outbox:
            item = outbox.enqueue_reply(topic_id, body, to, since_post_number=since)
            return await _post(args, out, s, outbox, item.id)


async def send(args: argparse.Namespace, out: TextIO) -> int:
    """Deliver everything queued for the profile, now (backoffs skipped), and say how it went."""
    async with session(args.forum) as s:
        with _outbox(s) as outbox:
            return await _send_all(args, out, s, outbox)


async def _send_all(args: argparse.Namespace, out: TextIO, s: Session, outbox: Outbox) -> int:
    """What `send` does once the forum and the outbox are open."""
    outcomes: list[Outcome] = []
    if outbox.pending():
        outbox.wake()
        outcomes = await outbox.send_due(s.backend)
    waiting = outbox.pending()
    problems = outbox.problems()
    if args.json:
        emit_json(
            {
                "forum": s.profile.name,
                "attempted": [_item_json(s, o.item) for o in outcomes],
                "queued": [_item_json(s, i) for i in waiting],
                "problems": [_item_json(s, i) for i in problems],
            },
            out,
        )
    else:
        if not outcomes and not waiting:
            out.write("nothing to send\n")
        for outcome in outcomes:
            out.write(_told(s, outcome.item) + "\n")
        attempted = {o.item.id for o in outcomes}
        for item in waiting:
            if item.id not in attempted:
                out.write(f"queued {_what(item)}: {item.reason or 'waiting its turn'}\n")
    if problems:
        print(
            f"cohort: {len(problems)} refused post{'s' if len(problems) > 1 else ''} "
            f"in the outbox; {PROBLEM_NOTE}",
            file=sys.stderr,
        )
    if waiting:
        print(f"cohort: {len(waiting)} still queued; {QUEUED_NOTE}", file=sys.stderr)
    if any(o.item.problem for o in outcomes):
        return 1
    return EX_TEMPFAIL if waiting else 0


# -- entry ------------------------------------------------------------------------------------


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], Coroutine[Any, Any, int]]] = {
    "latest": latest,
    "read": read,
    "search": search,
    "notifications": notifications,
    "config": show_config,
    "login": login,
    "new": new_topic,
    "reply": reply,
    "send": send,
}


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    command = COMMANDS[args.command]
    try:
        if args.command == "login" and args.forum is None:
            return login_form(args, out or sys.stdout)
        return asyncio.run(command(args, out or sys.stdout))
    except CliError as exc:
        print(f"cohort: {clean_line(str(exc))}", file=sys.stderr)
        return exc.status
    except ForumError as exc:
        print(f"cohort: {exc.message}", file=sys.stderr)
        return 1
    except (ConfigError, SecretError) as exc:
        print(f"cohort: {clean_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`cohort read 12 | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
