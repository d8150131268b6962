"""The plain commands' arguments: `cohort latest|read|search|notifications|config|login`.

Only argparse here, so building the parser costs nothing; `run` imports the commands
(backends, cache) when one of them is used.
"""

from __future__ import annotations

import argparse
from typing import Any

COMMANDS = ("latest", "read", "search", "notifications", "config", "login")


def _output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--forum", metavar="PROFILE_OR_URL", help="a profile's name or a forum URL")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--plain", action="store_true", help="plain text, no escape sequences")
    fmt.add_argument("--json", action="store_true", help="JSON, for scripts")


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("latest", help="list the latest topics")
    _output_flags(p)
    p.add_argument("--filter", choices=("latest", "new", "unread", "top"), default="latest")
    p.add_argument("--category", help="a category's slug")
    p.add_argument("--tag")
    p.add_argument("--limit", type=int, default=30, help="how many topics (default 30)")

    p = sub.add_parser("read", help="print a thread")
    _output_flags(p)
    p.add_argument("topic", metavar="TOPIC", help="a topic id, or a topic URL of the forum")
    p.add_argument("--width", type=int, default=80)

    p = sub.add_parser("search", help="search the forum (offline: the cache)")
    _output_flags(p)
    p.add_argument("query", nargs="+", help="words and filters: @user #category tag:x ...")

    p = sub.add_parser("notifications", help="replies, mentions and reactions you received")
    _output_flags(p)

    p = sub.add_parser("config", help="show the configuration")
    p.add_argument(
        "--print",
        action="store_true",
        dest="print_",
        required=True,
        help="print the merged configuration (defaults, site, user)",
    )

    p = sub.add_parser("login", help="log in to a forum and save it as a profile")
    p.add_argument("forum", metavar="PROFILE_OR_URL")
    p.add_argument("--username", help="Cohort server: log in with this user's password")
    p.add_argument(
        "--token-stdin",
        action="store_true",
        help="Cohort server: read a token an administrator minted from stdin",
    )
    p.add_argument(
        "--api-key-stdin",
        action="store_true",
        help="Discourse: read an admin API key from stdin (needs --username)",
    )
    p.add_argument("--oaep", action="store_true", help="Discourse: ask for OAEP padding")


def run(args: argparse.Namespace) -> int:
    from tui.plain import run as run_command

    return run_command(args)
