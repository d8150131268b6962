"""The sample peer-learning community a new forum can be seeded with.

The content lives in `community.toml`; times in it are relative ("days ago", and for
events "+3d 18:00 Europe/Berlin": three days on, at 18:00 there), so the community
always looks lived-in, with events still to come, on the day it is seeded.
"""

from __future__ import annotations

import re
import sqlite3
import tomllib
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from server.store import accounts, events, groups, messages, ops, people
from server.store.common import now
from server.store.times import parse_clock, zone
from server.store.viewer import Viewer

_OFFSET = re.compile(r"^\+(\d+)d(?: (\w+day))? (\d\d:\d\d) (\S+)$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PROFILE = ("expertise", "open_to_mentoring", "mentoring_hours")


def load() -> dict[str, Any]:
    text = resources.files("server.sample").joinpath("community.toml").read_text("utf-8")
    return tomllib.loads(text)


def is_empty(conn: sqlite3.Connection) -> bool:
    return int(conn.execute("SELECT COUNT(*) FROM categories").fetchone()[0]) == 0


def _fill(raw: str, topic_id: int) -> str:
    return raw.replace("{topic}", str(topic_id)).replace("{{", "{").replace("}}", "}")


def seed(conn: sqlite3.Connection, data: dict[str, Any] | None = None) -> dict[str, int]:
    """Write the sample community into an empty forum (inside the caller's transaction)."""
    if not is_empty(conn):
        raise ValueError("the forum already has categories; the sample goes only into a new one")
    data = data or load()
    reactions: list[str] = data["reactions"]
    start = now()
    viewers: dict[str, Viewer] = {}
    for user in data["users"]:
        user_id = accounts.add_user(
            conn,
            user["username"],
            name=user.get("name", ""),
            bio=user.get("bio", ""),
            moderator=bool(user.get("moderator")),
            created_at=start - 90 * 86400,
        )
        viewers[user["username"]] = Viewer(user_id, user["username"], bool(user.get("moderator")))
        profile = {k: user[k] for k in _PROFILE if k in user}
        if profile:
            people.update_profile(conn, viewers[user["username"]], user["username"], profile)
    for group in data.get("groups", []):
        group_id = accounts.add_group(conn, group["name"])
        conn.execute(
            "UPDATE groups SET full_name = ?, goal = ? WHERE id = ?",
            (group.get("full_name", ""), group.get("goal", ""), group_id),
        )
        for member in group.get("members", []):
            accounts.add_group_member(conn, group["name"], member)
    for position, cat in enumerate(data["categories"], start=1):
        accounts.add_category(
            conn,
            cat["slug"],
            cat["name"],
            description=cat.get("description", ""),
            guidelines=cat.get("guidelines", ""),
            groups=cat.get("groups") or [],
            position=position,
        )
    for group in data.get("study_groups", []):
        _seed_study_group(conn, group, viewers, start)
    moderator = next(v for v in viewers.values() if v.is_moderator)
    counts = {"topics": 0, "posts": 0, "reactions": 0}
    titles: dict[str, int] = {}
    for topic in sorted(data["topics"], key=lambda t: -float(t["days_ago"])):
        created = start - float(topic["days_ago"]) * 86400
        author = viewers[topic["author"]]
        view = ops.create_topic(
            conn,
            _as_member(author),
            title=topic["title"],
            raw=topic["raw"],
            category=topic["category"],
            tags=topic.get("tags", []),
            created_at=created,
        )
        topic_id = int(view["topic"]["id"])
        titles[topic["title"]] = topic_id
        conn.execute(
            "UPDATE posts SET raw = ? WHERE id = ?",
            (_fill(topic["raw"], topic_id), view["posts"][0]["id"]),
        )
        post_ids = [int(view["posts"][0]["id"])]
        for reply in topic.get("replies", []):
            post = ops.create_post(
                conn,
                _as_member(viewers[reply["author"]]),
                topic_id,
                raw=_fill(reply["raw"], topic_id),
                reply_to_post_number=reply.get("reply_to"),
                created_at=created + float(reply["hours_later"]) * 3600,
            )
            post_ids.append(int(post["id"]))
        posts = [topic, *topic.get("replies", [])]
        for post_id, source in zip(post_ids, posts, strict=True):
            for name, users in (source.get("reactions") or {}).items():
                for username in users:
                    ops.set_reaction(
                        conn, _as_member(viewers[username]), post_id, name, True, reactions
                    )
                    counts["reactions"] += 1
        if topic.get("solution"):
            ops.set_solution(conn, moderator, topic_id, post_ids[int(topic["solution"]) - 1])
        flags = {k: bool(topic[k]) for k in ("pinned", "closed") if topic.get(k)}
        if flags:
            ops.update_topic(conn, moderator, topic_id, flags)
        counts["topics"] += 1
        counts["posts"] += len(post_ids)
    for item in data.get("events", []):
        _seed_event(conn, item, viewers, titles, start)
    for message in data.get("messages", []):
        _seed_message(conn, message, viewers, start)
    counts["study_groups"] = len(data.get("study_groups", []))
    counts["events"] = len(data.get("events", []))
    counts["messages"] = len(data.get("messages", []))
    # Seeding is history, not news: nobody should be notified of it on first start.
    conn.execute("UPDATE notifications SET read_at = created_at")
    return counts


def at(offset: str, start: float) -> tuple[float, str]:
    """ "+3d 18:00 Europe/Berlin" as (UTC timestamp, zone name): that wall-clock time, the
    given number of days after `start`'s date in that zone. "+3d saturday 10:00 ..." is
    the first Saturday at least 3 days on, so an event called "Saturday study hall" falls
    on a Saturday whenever the sample is seeded."""
    match = _OFFSET.match(offset)
    if match is None:
        raise ValueError(f"{offset!r}: expected '+<days>d [weekday] HH:MM <IANA zone>'")
    days, weekday, clock, name = match.groups()
    tz = zone(name)
    hour, minute = (int(p) for p in parse_clock(clock, "time").split(":"))
    day = datetime.fromtimestamp(start, tz).date() + timedelta(days=int(days))
    if weekday is not None:
        if weekday.lower() not in _WEEKDAYS:
            raise ValueError(f"{offset!r}: {weekday!r} is not a weekday")
        day += timedelta(days=(_WEEKDAYS.index(weekday.lower()) - day.weekday()) % 7)
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    return local.timestamp(), tz.key


def _seed_study_group(
    conn: sqlite3.Connection, group: dict[str, Any], viewers: dict[str, Viewer], start: float
) -> None:
    organisers = [viewers[name] for name in group["organisers"]]
    fields = {k: group[k] for k in group if k not in ("organisers", "members", "requests")}
    groups.create_group(conn, organisers[0], fields, created_at=start - 40 * 86400)
    row = groups.group_row(conn, group["slug"])
    joined = start - 39 * 86400
    for organiser in organisers[1:]:
        groups.enrol(conn, row, organiser.user_id or 0, [groups.ORGANISER], joined)
    for member in group.get("members", []):
        roles = groups.check_roles(member.get("roles", []))
        groups.enrol(conn, row, viewers[member["username"]].user_id or 0, roles, joined)
    for request in group.get("requests", []):
        groups.request_to_join(
            conn, viewers[request["username"]], group["slug"], request.get("message", "")
        )


def _seed_event(
    conn: sqlite3.Connection,
    item: dict[str, Any],
    viewers: dict[str, Viewer],
    titles: dict[str, int],
    start: float,
) -> None:
    starts, tz_name = at(item["starts"], start)
    ends = at(item["ends"], start)[0] if "ends" in item else starts + item["minutes"] * 60
    fields = {
        "title": item["title"],
        "starts_at": datetime.fromtimestamp(starts, UTC).isoformat(),
        "ends_at": datetime.fromtimestamp(ends, UTC).isoformat(),
        "timezone": tz_name,
        "location": item.get("location"),
        "link": item.get("link"),
        "description": item.get("description"),
        "group": item.get("group"),
        "topic_id": titles[item["topic"]] if "topic" in item else None,
    }
    author = _as_member(viewers[item["author"]])
    made = events.create_event(conn, author, fields, created_at=start - 86400)
    for status, usernames in (item.get("rsvps") or {}).items():
        for username in usernames:
            events.set_rsvp(conn, _as_member(viewers[username]), made["id"], status)


def _seed_message(
    conn: sqlite3.Connection, message: dict[str, Any], viewers: dict[str, Viewer], start: float
) -> None:
    created = start - float(message["days_ago"]) * 86400
    view = messages.create_message(
        conn,
        viewers[message["author"]],
        participants=message["participants"],
        title=message["title"],
        raw=message["raw"],
        created_at=created,
    )
    for reply in message.get("replies", []):
        ops.create_post(
            conn,
            viewers[reply["author"]],
            int(view["topic"]["id"]),
            raw=reply["raw"],
            reply_to_post_number=reply.get("reply_to"),
            created_at=created + float(reply["hours_later"]) * 3600,
        )


def _as_member(viewer: Viewer) -> Viewer:
    """Seeded posts are written as their authors; moderators see restricted categories too."""
    return Viewer(viewer.user_id, viewer.username, True)
