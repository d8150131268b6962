"""The plain community commands: `cohort groups`, `cohort events`, `cohort people`.

Like the other plain commands they print readable text (`--plain`, also the default) or
the models as JSON (`--json`). `cohort events --ics FILE` writes the events you are going
to as an iCalendar file. Where the forum lacks a feature (Discourse has no mentors, and
no events without its plugin) the command says so in one line and exits with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import textwrap
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from tui.community_args import MAX_DAYS
from tui.forum.backend import ForumError
from tui.forum.community import Community, Event, Person, StudyGroup, community_of
from tui.forum.config import ConfigError
from tui.forum.ics import calendar
from tui.forum.sanitize import clean_line
from tui.forum.secrets import SecretError

WRAP = 76


# -- shared ------------------------------------------------------------------------------------


def _community(backend: Any) -> Community:
    from tui.plain import CliError

    community = community_of(backend)
    if community is None:
        raise CliError("this forum has no study groups, events or people directory")
    return community


def _check(community: Community, feature: str) -> None:
    from tui.plain import CliError

    reason = community.unsupported(feature)
    if reason:
        raise CliError(reason)


def _para(text: str, indent: str = "    ") -> str:
    lines: list[str] = []
    for paragraph in text.strip().splitlines():
        wrapped = textwrap.wrap(clean_line(paragraph), WRAP - len(indent)) or [""]
        lines.extend(indent + line for line in wrapped)
    return "\n".join(lines).rstrip() + "\n" if lines else ""


def _local(when: datetime | None, fallback: datetime) -> datetime:
    return when if when is not None else fallback


def _when(event: Event) -> str:
    """'Wed 2026-12-02 18:30-19:30 Europe/Berlin (17:30 UTC)'."""
    start = _local(event.starts_at_local, event.starts_at)
    end = _local(event.ends_at_local, event.ends_at)
    utc = event.starts_at.astimezone(UTC)
    span = f"{start:%a %Y-%m-%d %H:%M}-"
    span += f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %Y-%m-%d %H:%M}"
    text = f"{span} {event.timezone}"
    if start.utcoffset() != timedelta(0):
        text += f" ({utc:%H:%M} UTC)"
    return text


# -- groups ------------------------------------------------------------------------------------


def _group_lines(g: StudyGroup) -> str:
    you = {"member": "you are a member", "requested": "you asked to join"}.get(g.my_status, "")
    if g.my_roles:
        you += f" ({', '.join(g.my_roles)})"
    details = [g.admission, f"{g.member_count} members", you]
    text = f"{g.slug}  {g.name}\n    " + " · ".join(d for d in details if d) + "\n"
    if g.schedule is not None:
        s = g.schedule
        where = s.place or s.link
        text += f"    meets {s.weekday}s {s.time} {s.timezone}" + (f" · {where}" if where else "")
        text += "\n"
    if g.next_meeting is not None:
        m = g.next_meeting
        text += f"    next meeting {m.starts_at_local:%a %Y-%m-%d %H:%M}\n"
    if g.goal:
        text += _para(g.goal)
    return text


async def groups(args: argparse.Namespace, out: TextIO) -> int:
    from tui.plain import emit_json, session

    async with session(args.forum) as s:
        community = _community(s.backend)
        _check(community, "groups")
        if args.slug:
            group = await community.group(args.slug)
            if args.json:
                emit_json({"forum": s.profile.name, "group": group}, out)
                return 0
            out.write(_group_lines(group))
            if group.expectations:
                out.write("  expectations\n" + _para(group.expectations))
            if group.category_name:
                out.write(f"  its category: {group.category_name}\n")
            if group.members:
                out.write("  members\n")
            for m in group.members:
                roles = f" ({', '.join(m.roles)})" if m.roles else ""
                out.write(f"    {m.username}  {m.name}{roles}\n".replace("  \n", "\n"))
            return 0
        found = await community.groups(query=args.search, mine=args.mine)
        if args.json:
            emit_json({"forum": s.profile.name, "groups": found}, out)
            return 0
        if not found:
            out.write("no groups\n")
        for g in found:
            out.write(_group_lines(g))
    return 0


# -- events ------------------------------------------------------------------------------------


def _event_lines(e: Event) -> str:
    text = f"{_when(e)}\n    {e.title}\n"
    details = []
    if e.group_name:
        details.append(f"group: {e.group_name}")
    if e.location:
        details.append(e.location)
    if e.link:
        details.append(e.link)
    counts = e.rsvp_counts
    details.append(f"{counts.going} going, {counts.interested} interested")
    if e.my_rsvp:
        details.append("you: " + e.my_rsvp.replace("_", " "))
    return text + "    " + " · ".join(details) + "\n"


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "cohort"


async def events(args: argparse.Namespace, out: TextIO) -> int:
    from tui.plain import CliError, emit_json, session

    if not 1 <= args.days <= MAX_DAYS:
        raise CliError(f"--days takes 1 to {MAX_DAYS}", 2)
    start = datetime.now(UTC)
    end = start + timedelta(days=args.days)
    going = args.going or args.ics is not None
    async with session(args.forum) as s:
        community = _community(s.backend)
        _check(community, "events")
        found = await community.events(start, end, group=args.group, going_only=going)
        if going:  # the forum filters; this keeps a forum that ignores the filter honest
            found = [e for e in found if e.my_rsvp == "going"]
        if args.ics is not None:
            text = calendar(found, host=_host(s.backend.base_url))
            if args.ics == "-":
                out.write(text)
                out.flush()
            else:
                _write_file(Path(args.ics), text)
                print(
                    f"cohort: wrote {len(found)} event(s) to {clean_line(args.ics)}",
                    file=sys.stderr,
                )
            return 0
        if args.json:
            emit_json({"forum": s.profile.name, "from": start, "to": end, "events": found}, out)
            return 0
        if not found:
            out.write(f"no events in the next {args.days} days\n")
        for e in found:
            out.write(_event_lines(e))
    return 0


def _write_file(path: Path, text: str) -> None:
    """Write whole or not at all: a half-written calendar never replaces a good one."""
    from tui.plain import CliError

    part = path.with_name(path.name + ".part")
    try:
        with open(part, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise CliError(f"cannot write {clean_line(str(path))}: {exc.strerror or exc}") from exc


# -- people ------------------------------------------------------------------------------------


def _person_lines(p: Person) -> str:
    details = []
    if p.open_to_mentoring:
        hours = f", {p.mentoring_hours} h a month" if p.mentoring_hours else ""
        details.append(f"mentor{hours}")
    if p.expertise:
        details.append(", ".join(p.expertise))
    if p.post_count is not None:
        details.append(f"{p.post_count} posts")
    text = f"{p.username}  {p.name}".rstrip() + "\n"
    if details:
        text += "    " + " · ".join(details) + "\n"
    if p.bio:
        text += _para(p.bio)
    return text


async def people(args: argparse.Namespace, out: TextIO) -> int:
    from tui.plain import emit_json, session

    async with session(args.forum) as s:
        community = _community(s.backend)
        _check(community, "people")
        if args.mentors or args.expertise:
            _check(community, "mentors" if args.mentors else "expertise")
        if args.username:
            person = await community.person(args.username)
            if args.json:
                emit_json({"forum": s.profile.name, "person": person}, out)
                return 0
            out.write(_person_lines(person))
            for g in person.groups:
                roles = f" ({', '.join(g.roles)})" if g.roles else ""
                out.write(f"  in {g.name or g.slug}{roles}\n")
            for post in person.recent_posts:
                out.write(f"  #{post.topic_id}/{post.post_number}  {post.topic_title}\n")
            return 0
        page = await community.people(expertise=args.expertise, mentors=args.mentors, q=args.search)
        if args.json:
            emit_json(
                {
                    "forum": s.profile.name,
                    "people": list(page.people),
                    "expertise": list(page.expertise),
                },
                out,
            )
            return 0
        if not page.people:
            out.write("nobody found\n")
        for p in page.people:
            out.write(_person_lines(p))
    return 0


_RUN: dict[str, Callable[[argparse.Namespace, TextIO], Coroutine[Any, Any, int]]] = {
    "groups": groups,
    "events": events,
    "people": people,
}


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from tui.plain import CliError

    try:
        return asyncio.run(_RUN[args.command](args, out or sys.stdout))
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
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


__all__ = ["run"]
