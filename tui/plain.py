"""What the plain commands do: `cohort latest|read|search|notifications|config|login`.

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
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar
from urllib.parse import urlsplit

from tui.forum import models
from tui.forum.backend import ForumBackend, ForumError, Offline
from tui.forum.cache import Cache, cache_path
from tui.forum.config import Config, ConfigError, Profile, load_config, merged_toml, profile_for
from tui.forum.connect import open_backend, probe
from tui.forum.document import render_post, to_plain
from tui.forum.models import Freshness
from tui.forum.repository import Answer, Repository
from tui.forum.sanitize import clean_line
from tui.forum.secrets import SecretError, SecretStore

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
    from tui.forum.config import save_profile

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
        profile = await _login_cohort(profile, args, secrets)
    else:
        profile = await _login_discourse(profile, args, secrets)
    path = save_profile(profile)
    out.write(f"saved profile {profile.name} in {path}; secrets in {secrets.location}\n")
    return 0


async def _login_cohort(
    profile: Profile, args: argparse.Namespace, secrets: SecretStore
) -> Profile:
    from dataclasses import replace

    from tui.forum.native import login_with_password

    assert profile.url is not None
    if args.token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise CliError("no token on standard input", 2)
        username = args.username
    else:
        username = args.username or input("Username: ").strip()
        password = getpass.getpass(f"Password for {username}: ")
        token = await login_with_password(profile.url, username, password)
    secrets.set(profile.name, "token", token)
    return replace(profile, auth="token", username=username)


async def _login_discourse(
    profile: Profile, args: argparse.Namespace, secrets: SecretStore
) -> Profile:
    from dataclasses import replace

    from tui.forum.discourse import auth

    assert profile.url is not None
    if args.api_key_stdin:
        if not args.username:
            raise CliError("an admin API key needs --username (its Api-Username)", 2)
        key = sys.stdin.readline().strip()
        secrets.set(profile.name, "api_key", key)
        return replace(profile, auth="api_key", username=args.username)
    padding = "oaep" if args.oaep else profile.padding
    result = await auth.login(
        profile.url,
        prompt=lambda text: input(text),
        say=lambda text: print(text, file=sys.stderr),
        padding=padding,
    )
    creds = result.credentials
    secrets.set(profile.name, "user_api_key", creds.key)
    if creds.client_id:
        secrets.set(profile.name, "client_id", creds.client_id)
    secrets.set(profile.name, "private_key_pem", result.private_pem)
    return replace(profile, auth="user_api_key", padding=padding)


# -- entry ------------------------------------------------------------------------------------


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], Coroutine[Any, Any, int]]] = {
    "latest": latest,
    "read": read,
    "search": search,
    "notifications": notifications,
    "config": show_config,
    "login": login,
}


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    command = COMMANDS[args.command]
    try:
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
