"""The `cohort` command: the TUI by default; plain commands for scripts; `serve` and
`admin` for the forum server."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from server.cli import add_admin_parser, add_serve_parser
    from tui.cli import add_parsers

    parser = argparse.ArgumentParser(
        prog="cohort",
        description="Cohort: a keyboard-driven terminal forum for peer-learning communities.",
    )
    parser.add_argument(
        "--forum", metavar="PROFILE_OR_URL", help="open this forum instead of the default profile"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_parsers(sub)
    add_serve_parser(sub)
    add_admin_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("serve", "admin"):
        from server.cli import run

        return run(args)
    if args.command is not None:
        from tui.cli import run as run_plain

        return run_plain(args)
    from tui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
