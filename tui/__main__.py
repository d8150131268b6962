"""The `cohort` command: the TUI by default (`cohort open TOPIC` starts it on a thread);
plain commands for scripts; `serve` and `admin` for the forum server."""

from __future__ import annotations

import argparse
import gc
import sys

SERVER_COMMANDS = {
    "serve": "run Cohort's forum server",
    "admin": "manage a forum's users, categories and tokens",
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line. The server's commands are described in full only when
    they may be wanted (named, or help asked for): their module imports the server,
    which would otherwise add ~70 ms to every start of the TUI."""
    from tui.cli import add_parsers
    from tui.terminal import add_flags

    words = set(sys.argv[1:] if argv is None else argv)
    server_wanted = bool(words & {*SERVER_COMMANDS, "-h", "--help"})

    parser = argparse.ArgumentParser(
        prog="cohort",
        description="Cohort: a keyboard-driven terminal forum for peer-learning communities.",
    )
    parser.add_argument(
        "--forum", metavar="PROFILE_OR_URL", help="open this forum instead of the default profile"
    )
    add_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("open", help="start the TUI on a thread")
    p.add_argument("topic", metavar="TOPIC", help="a topic id, or a topic URL of the forum")
    # SUPPRESS: a flag left out here keeps the value given before `open`.
    p.add_argument("--forum", metavar="PROFILE_OR_URL", default=argparse.SUPPRESS)
    add_flags(p, default=argparse.SUPPRESS)
    add_parsers(sub)
    if server_wanted:
        from server.cli import add_admin_parser, add_serve_parser

        add_serve_parser(sub)
        add_admin_parser(sub)
    else:
        for name, text in SERVER_COMMANDS.items():
            sub.add_parser(name, help=text)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A start allocates much and frees little, so collecting cycles then is wasted time
    # (some 40 ms of the TUI's start, in 50 collections). The collector is off until the
    # TUI's first frame is out (the app turns it back on) or another command starts.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    args = build_parser(argv).parse_args(argv)
    if args.command in ("serve", "admin"):
        from server.cli import run

        gc.enable()
        return run(args)
    if args.command not in (None, "open"):
        from tui.cli import run as run_plain

        gc.enable()
        return run_plain(args)
    # Before Textual is imported: it reads --color and --fps from its environment then.
    from tui.forum.config import unsaved_url
    from tui.terminal import StartupError, prepare

    try:
        startup = prepare(args)
    except StartupError as exc:
        print(f"cohort: {exc}", file=sys.stderr)
        return 2
    if args.command is None and unsaved_url(startup.config, args.forum):
        # A first run on this forum: log in and save it, then open the saved profile.
        from tui.first_run import run_login

        gc.enable()  # a login takes as long as the person does
        try:
            profile = run_login(startup, address=args.forum)
            if profile is None:
                print("cohort: no forum was added", file=sys.stderr)
                return 1
            args.forum = profile.name
            startup = prepare(args)
        except StartupError as exc:
            print(f"cohort: {exc}", file=sys.stderr)
            return 2
    from tui.app import run_app

    return run_app(args, startup)


if __name__ == "__main__":
    sys.exit(main())
