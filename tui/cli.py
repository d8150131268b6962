"""The plain commands' arguments: `cohort latest|read|search|notifications|config|login`,
and the writing ones for scripts: `cohort new|reply|send`.

Only argparse here, so building the parser costs nothing; `run` imports the commands
(backends, cache) when one of them is used.
"""

from __future__ import annotations

import argparse
from typing import Any

COMMANDS = (
    "latest",
    "read",
    "search",
    "notifications",
    "config",
    "login",
    "new",
    "reply",
    "send",
)


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

    p = sub.add_parser(
        "login",
        help="log in to a forum and save it as a profile (no argument: a form, in a terminal)",
    )
    p.add_argument("forum", metavar="PROFILE_OR_URL", nargs="?")
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

    p = sub.add_parser(
        "new",
        help="start a topic; its text is read from standard input",
        description="Start a topic with the text on standard input, through the outbox: "
        "if the forum cannot be reached it stays queued (exit 75) for `cohort send`.",
    )
    _output_flags(p)
    p.add_argument("--category", required=True, help="a category's slug, name or id")
    p.add_argument("--title", required=True)
    p.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="a tag (repeat for more)"
    )

    p = sub.add_parser(
        "reply",
        help="reply to a topic; the text is read from standard input",
        description="Reply with the text on standard input, through the outbox: if the "
        "forum cannot be reached it stays queued (exit 75) for `cohort send`.",
    )
    _output_flags(p)
    p.add_argument("topic", metavar="TOPIC", help="a topic id, or a topic URL of the forum")
    p.add_argument(
        "--to",
        type=int,
        metavar="POST_NUMBER",
        help="reply to this post of the topic (default: the post a topic URL names, "
        "else the topic)",
    )

    p = sub.add_parser("send", help="deliver the posts waiting in the outbox")
    _output_flags(p)

    from tui.community_args import add_parsers as add_community_parsers

    add_community_parsers(sub, _output_flags)


def run(args: argparse.Namespace) -> int:
    from tui.community_args import COMMANDS as COMMUNITY_COMMANDS

    if args.command in COMMUNITY_COMMANDS:
        from tui.community_cli import run as run_community

        return run_community(args)
    from tui.plain import run as run_command

    return run_command(args)
