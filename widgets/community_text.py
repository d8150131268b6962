"""How the community screens word groups, events and people: times in the reader's own
zone (and the group's), a group's page head, an event's and a person's summary.

Pure functions: the models are already sanitised, and every piece of their text goes into
`Content` as text, never as markup, so a goal like "[@click=app.quit]x[/]" shows as typed.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from textual.content import Content

from tui.forum.community import Event, Meeting, Person, StudyGroup

RSVP_WORDS = {"going": "going", "interested": "interested", "not_going": "not going"}
ADMISSION_WORDS = {"open": "open", "request": "on request", "invite": "invite only"}
STATUS_WORDS = {"member": "you are a member", "requested": "you asked to join", "none": ""}


def local_time(when: datetime, zone: tzinfo | None = None) -> str:
    """`when` in the reader's zone (or `zone`), short: "Wed 12 Mar 18:30"."""
    return when.astimezone(zone).strftime("%a %d %b %H:%M")


def meeting_words(meeting: Meeting, timezone: str, zone: tzinfo | None = None) -> str:
    """A meeting in the reader's time, and in the group's when that differs by the clock:
    "Wed 12 Mar 18:30 (18:30 Europe/Berlin)"."""
    mine = local_time(meeting.starts_at, zone)
    theirs = meeting.starts_at_local.strftime("%H:%M")
    return f"{mine} ({theirs} {timezone})"


def event_when(event: Event, zone: tzinfo | None = None) -> str:
    """When an event starts, in the reader's zone."""
    return local_time(event.starts_at, zone)


def group_head(group: StudyGroup, zone: tzinfo | None = None) -> Content:
    """A group's page head: name, admission, membership, goal, expectations, schedule."""
    parts: list[Content | str | tuple[str, str]] = [
        (group.name, "bold"),
        (f"  {ADMISSION_WORDS.get(group.admission, group.admission)}", "$text-muted"),
        (f" · {group.member_count} member{'' if group.member_count == 1 else 's'}", "$text-muted"),
    ]
    status = STATUS_WORDS.get(group.my_status, "")
    if status:
        roles = f" ({', '.join(group.my_roles)})" if group.my_roles else ""
        parts += [" · ", (status + roles, "$accent")]
    if group.goal:
        parts += ["\n", ("Goal: ", "bold"), group.goal]
    if group.expectations:
        parts += ["\n", ("Expected: ", "bold"), group.expectations]
    schedule = group.schedule
    if schedule is not None:
        where = schedule.place or schedule.link
        parts += [
            "\n",
            ("Meets: ", "bold"),
            f"{schedule.weekday.capitalize()}s {schedule.time} {schedule.timezone}, "
            f"{schedule.duration_minutes} min",
        ]
        if where:
            parts += [" · ", where]
    if group.next_meeting is not None and schedule is not None:
        parts += [
            "\n",
            ("Next: ", "bold"),
            meeting_words(group.next_meeting, schedule.timezone, zone),
            (" your time", "$text-muted"),
        ]
    elif schedule is None:
        parts += ["\n", ("No regular meeting.", "$text-muted")]
    if group.organisers:
        parts += ["\n", ("Organisers: ", "bold"), ", ".join(group.organisers)]
    return Content.assemble(*parts)


def event_summary(event: Event | None, zone: tzinfo | None = None) -> Content:
    """The highlighted event in full: when (yours and its zone's), where, who answered."""
    if event is None:
        return Content("")
    start = local_time(event.starts_at, zone)
    end = event.ends_at.astimezone(zone).strftime("%H:%M")
    parts: list[Content | str | tuple[str, str]] = [
        (event.title, "bold"),
        "\n",
        f"{start} to {end}",
    ]
    if event.starts_at_local is not None:
        parts.append(
            (f" your time · {event.starts_at_local:%H:%M} {event.timezone}", "$text-muted")
        )
    where = event.location or event.link
    if where:
        parts += [" · ", where]
    counts = event.rsvp_counts
    parts.append(
        (
            f"\n{counts.going} going · {counts.interested} interested"
            f" · {counts.not_going} not going",
            "$text-muted",
        )
    )
    if event.my_rsvp:
        parts += [" · you: ", (RSVP_WORDS.get(event.my_rsvp, event.my_rsvp), "bold")]
    if event.group_name:
        parts += [(" · group: ", "$text-muted"), event.group_name]
    if event.topic_title:
        parts += [(" · discussion: ", "$text-muted"), event.topic_title]
    if event.description:
        parts += ["\n", event.description]
    return Content.assemble(*parts)


def mentoring_words(person: Person) -> str:
    """ "mentors 4 h/month", "mentors", or "" for someone not open to mentoring."""
    if not person.open_to_mentoring:
        return ""
    if person.mentoring_hours:
        return f"mentors {person.mentoring_hours} h/month"
    return "mentors"


def person_about(person: Person) -> Content:
    """A profile's head: name, mentoring, expertise, groups, bio."""
    parts: list[Content | str | tuple[str, str]] = [(person.username, "bold")]
    if person.name and person.name != person.username:
        parts += [" ", (person.name, "$text-muted")]
    if person.is_moderator:
        parts += [("  moderator", "$accent")]
    mentoring = mentoring_words(person)
    parts += ["\n", ("Mentoring: ", "bold"), mentoring or "not open to mentoring"]
    if person.expertise:
        parts += ["\n", ("Expertise: ", "bold"), ", ".join(person.expertise)]
    if person.groups:
        named = [f"{g.name} ({', '.join(g.roles)})" if g.roles else g.name for g in person.groups]
        parts += ["\n", ("Groups: ", "bold"), ", ".join(named)]
    if person.post_count is not None:
        parts += ["\n", (f"{person.post_count} posts", "$text-muted")]
    if person.bio:
        parts += ["\n\n", person.bio]
    return Content.assemble(*parts)
