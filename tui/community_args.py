"""The arguments of `cohort groups|events|people`: argparse only, so building `cohort`'s
parser (on every start of the TUI too) imports none of the community models."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

COMMANDS = ("groups", "events", "people")
DEFAULT_DAYS = 7
MAX_DAYS = 366  # the server's widest window


def add_parsers(sub: Any, output_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("groups", help="list study groups, or show one with its members")
    output_flags(p)
    p.add_argument("slug", metavar="GROUP", nargs="?", help="show this group in full")
    p.add_argument("--mine", action="store_true", help="only the groups you are in")
    p.add_argument("--search", metavar="WORDS", help="words in a group's name or goal")

    p = sub.add_parser(
        "events",
        help="upcoming events and group meetings; --ics writes those you are going to",
    )
    output_flags(p)
    p.add_argument("--group", metavar="SLUG", help="only this study group's")
    p.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"how far ahead (default {DEFAULT_DAYS})"
    )
    p.add_argument("--going", action="store_true", help="only events you are going to")
    p.add_argument(
        "--ics",
        metavar="FILE",
        help="write the events you are going to as an iCalendar file ('-': standard output)",
    )

    p = sub.add_parser("people", help="find people and mentors, or show one profile")
    output_flags(p)
    p.add_argument("username", metavar="USERNAME", nargs="?", help="show this person's profile")
    p.add_argument("--mentors", action="store_true", help="only people open to mentoring")
    p.add_argument("--expertise", metavar="TAG", help="only people with this expertise")
    p.add_argument("--search", metavar="WORDS", help="words in a name or bio")
