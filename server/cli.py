"""`cohort serve` and `cohort admin ...`."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import signal
import socket
import stat
import sys
from pathlib import Path
from typing import Any

from server.settings import Settings, SettingsError
from server.store import Store, accounts, groups
from server.store.errors import StoreError
from server.store.schema import SchemaTooNew


class CliError(Exception):
    pass


# -- serve --------------------------------------------------------------------------------


def add_serve_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run Cohort's forum server",
        description="Run Cohort's forum server on a Unix socket or a TCP port.",
    )
    p.add_argument("--db", required=True, type=Path, help="SQLite database file")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", type=Path, help="Unix socket path (local users, no passwords)")
    where.add_argument("--port", type=int, help="TCP port (bearer tokens and passwords)")
    p.add_argument("--host", default="127.0.0.1", help="TCP address (default 127.0.0.1)")
    p.add_argument("--config", type=Path, help="server settings file (TOML)")
    p.add_argument(
        "--sample", action="store_true", help="seed a new, empty database with the sample community"
    )
    p.add_argument(
        "--anonymous-read",
        action="store_true",
        default=None,
        help="let people who are not logged in read public categories",
    )
    p.add_argument("--write-rate", type=int, help="writes per user per minute (0: no limit)")
    p.add_argument("--read-rate", type=int, help="requests per user per minute (0: no limit)")
    p.add_argument("--max-body", type=int, help="largest request body in bytes")
    p.add_argument("--keep-changes", type=int, help="change-feed entries to keep")
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=serve)


def prepare_socket_dir(path: Path) -> None:
    """The socket's folder must be writable only by us; the socket itself is for everyone
    on the machine (identity comes from the kernel, not from file permissions)."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o755)
        os.chmod(folder, 0o755)
    info = folder.stat()
    if info.st_uid != os.getuid():
        raise CliError(f"{folder} belongs to uid {info.st_uid}, not to this server's user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CliError(
            f"{folder} is writable by others; use a folder only you can write (chmod go-w {folder})"
        )
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise CliError(f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # a stale socket left by a server that died
        else:
            raise CliError(f"another server is already listening on {path}")
        finally:
            probe.close()


def load_settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_toml(args.config) if args.config else Settings()
    overrides = {
        "anonymous_read": args.anonymous_read,
        "write_rate": args.write_rate,
        "read_rate": args.read_rate,
        "max_body_bytes": args.max_body,
        "keep_changes": args.keep_changes,
    }
    for key, value in overrides.items():
        if value is not None:
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise CliError(f"--{key.replace('_', '-')} must not be negative")
            setattr(settings, key, value)
    return settings


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.peercred import PeerCredProtocol

    settings = load_settings(args)
    if args.socket is not None:
        prepare_socket_dir(args.socket)
    store = Store(args.db, keep_changes=settings.keep_changes)
    if args.sample:
        from server import sample

        if store.read_sync(sample.is_empty):
            counts = store.write_sync(sample.seed)
            print(
                f"seeded the sample community: {counts['topics']} topics, {counts['posts']} posts",
                file=sys.stderr,
            )
        else:
            print("--sample: the database already has a community; left as it is", file=sys.stderr)
    app = create_app(store, settings)
    config = uvicorn.Config(
        app,
        uds=str(args.socket) if args.socket else None,
        host=args.host,
        port=args.port or 0,
        http=PeerCredProtocol,
        loop="auto",
        lifespan="on",
        access_log=args.access_log,
        log_level="info",
        server_header=False,
    )
    server = uvicorn.Server(config)
    # After a graceful shutdown uvicorn re-raises the signal that stopped it; with the
    # default handlers that would kill us before the socket is removed and the store closed.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        server.run()
    finally:
        store.close()
        if args.socket is not None and args.socket.exists():
            args.socket.unlink()
    return 0


# -- admin --------------------------------------------------------------------------------


def add_admin_parser(sub: Any) -> None:
    p = sub.add_parser(
        "admin",
        help="manage a forum's users, categories and tokens",
        description="Administer a Cohort forum database (safe while it runs).",
    )
    p.add_argument("--db", required=True, type=Path, help="SQLite database file")
    cmds = p.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")

    c = cmds.add_parser("add-user", help="add a member (or a moderator)")
    c.add_argument("username")
    c.add_argument("--name", default="")
    c.add_argument("--moderator", action="store_true")
    c.add_argument("--uid", type=int, help="tie to this local account (Unix socket login)")
    c.add_argument(
        "--password-stdin", action="store_true", help="read a password from standard input"
    )
    c.set_defaults(admin=_add_user)

    c = cmds.add_parser("set-moderator", help="make a user a moderator (or --off)")
    c.add_argument("username")
    c.add_argument("--off", action="store_true")
    c.set_defaults(admin=_set_moderator)

    c = cmds.add_parser("set-password", help="set a password (prompted, or --stdin)")
    c.add_argument("username")
    c.add_argument("--stdin", action="store_true")
    c.set_defaults(admin=_set_password)

    c = cmds.add_parser("mint-token", help="create a bearer token (printed once)")
    c.add_argument("username")
    c.add_argument("--label", default="admin")
    c.set_defaults(admin=_mint_token)

    c = cmds.add_parser("revoke-token", help="revoke a token by its id")
    c.add_argument("token_id", type=int)
    c.set_defaults(admin=_revoke_token)

    c = cmds.add_parser("list-tokens", help="list a user's tokens (never the secrets)")
    c.add_argument("username")
    c.set_defaults(admin=_list_tokens)

    c = cmds.add_parser("list-users", help="list users")
    c.set_defaults(admin=_list_users)

    c = cmds.add_parser(
        "add-group", help="add a group (with --organiser: a study group its members can join)"
    )
    c.add_argument("name", help="the group's handle (its slug, for a study group)")
    c.add_argument(
        "--organiser",
        action="append",
        default=[],
        help="make it a study group run by this user (repeatable)",
    )
    c.add_argument("--full-name", help="a study group's name as people read it")
    c.add_argument("--goal", default="", help="what a study group works towards")
    c.add_argument(
        "--admission",
        choices=["open", "request", "invite"],
        default="open",
        help="how people get in",
    )
    c.add_argument(
        "--own-category", action="store_true", help="give the study group a category of its own"
    )
    c.set_defaults(admin=_add_group)

    c = cmds.add_parser("add-to-group", help="add users to a group")
    c.add_argument("group")
    c.add_argument("usernames", nargs="+")
    c.set_defaults(admin=_add_to_group)

    c = cmds.add_parser("remove-from-group", help="remove users from a group")
    c.add_argument("group")
    c.add_argument("usernames", nargs="+")
    c.set_defaults(admin=_remove_from_group)

    c = cmds.add_parser("add-category", help="add a category")
    c.add_argument("slug")
    c.add_argument("--name", required=True)
    c.add_argument("--description", default="")
    c.add_argument("--guidelines", default="", help="Markdown; '@FILE' reads it from FILE")
    c.add_argument(
        "--group",
        action="append",
        default=[],
        help="only members of this group see it (repeatable)",
    )
    c.set_defaults(admin=_add_category)

    c = cmds.add_parser("seed-sample", help="seed an empty forum with the sample community")
    c.set_defaults(admin=_seed_sample)

    c = cmds.add_parser("backup", help="copy the database while the server runs")
    c.add_argument("destination", type=Path)
    c.set_defaults(admin=_backup)
    p.set_defaults(func=admin)


def admin(args: argparse.Namespace) -> int:
    if not args.db.exists() and args.admin_command != "add-user":
        raise CliError(f"{args.db}: no such database (start with `cohort serve --db` or add-user)")
    store = Store(args.db)
    try:
        result = args.admin(store, args)
    finally:
        store.close()
    if result is not None:
        print(result)
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise CliError("the passwords differ")
    if len(password) < 8:
        raise CliError("a password needs at least 8 characters")
    return password


def _add_user(store: Store, args: argparse.Namespace) -> str:
    password_hash = None
    if args.password_stdin:
        # Imported only when needed: server.app computes an argon2 hash at import (~0.5 s).
        from server.app import hash_password

        password_hash = hash_password(_read_password(True))
    user_id = store.write_sync(
        lambda conn: accounts.add_user(
            conn,
            args.username,
            name=args.name,
            moderator=args.moderator,
            uid=args.uid,
            password_hash=password_hash,
        )
    )
    role = "moderator" if args.moderator else "member"
    return f"added {role} {args.username} (id {user_id})"


def _set_moderator(store: Store, args: argparse.Namespace) -> str:
    store.write_sync(accounts.set_moderator, args.username, not args.off)
    return f"{args.username} is {'no longer ' if args.off else ''}a moderator"


def _set_password(store: Store, args: argparse.Namespace) -> str:
    from server.app import hash_password

    password_hash = hash_password(_read_password(args.stdin))
    store.write_sync(accounts.set_password_hash, args.username, password_hash)
    return f"password set for {args.username}; their earlier login tokens are revoked"


def _mint_token(store: Store, args: argparse.Namespace) -> str:
    token = "cht_" + secrets.token_urlsafe(32)

    def mint(conn: Any) -> int:
        user = accounts.user_by_name(conn, args.username)
        return accounts.store_token(conn, user["id"], token, args.label)

    token_id = store.write_sync(mint)
    print(f"token {token_id} for {args.username} (shown once, keep it secret):", file=sys.stderr)
    return token


def _revoke_token(store: Store, args: argparse.Namespace) -> str:
    store.write_sync(accounts.revoke_token, args.token_id)
    return f"revoked token {args.token_id}"


def _list_tokens(store: Store, args: argparse.Namespace) -> str:
    return json.dumps(store.read_sync(accounts.list_tokens, args.username), indent=2)


def _list_users(store: Store, args: argparse.Namespace) -> str:
    rows = store.read_sync(accounts.list_users)
    lines = [f"{'id':>5}  {'username':20} {'uid':>6}  role       password"]
    for r in rows:
        role = "moderator" if r["is_moderator"] else "member"
        uid = "" if r["uid"] is None else str(r["uid"])
        lines.append(
            f"{r['id']:>5}  {r['username']:20} {uid:>6}  {role:10} "
            f"{'yes' if r['has_password'] else 'no'}"
        )
    return "\n".join(lines)


def _add_group(store: Store, args: argparse.Namespace) -> str:
    if not args.organiser:
        if args.full_name or args.goal or args.own_category:
            raise CliError("a study group needs --organiser")
        store.write_sync(accounts.add_group, args.name)
        return f"added group {args.name}"
    fields = {
        "slug": args.name,
        "name": args.full_name or args.name,
        "goal": args.goal,
        "admission": args.admission,
        "category": args.own_category,
    }
    made = store.write_sync(lambda conn: groups.create_for(conn, args.organiser, fields))
    where = f", category {made['category']['slug']}" if made["category"] else ""
    return f"added study group {args.name} ({args.admission}{where})"


def _add_to_group(store: Store, args: argparse.Namespace) -> str:
    def add(conn: Any) -> None:
        for name in args.usernames:
            accounts.add_group_member(conn, args.group, name)

    store.write_sync(add)
    return f"added {', '.join(args.usernames)} to {args.group}"


def _remove_from_group(store: Store, args: argparse.Namespace) -> str:
    def remove(conn: Any) -> None:
        for name in args.usernames:
            accounts.remove_group_member(conn, args.group, name)

    store.write_sync(remove)
    return f"removed {', '.join(args.usernames)} from {args.group}"


def _add_category(store: Store, args: argparse.Namespace) -> str:
    guidelines = args.guidelines
    if guidelines.startswith("@"):
        try:
            guidelines = Path(guidelines[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--guidelines {guidelines}: {exc.strerror}") from exc
    category_id = store.write_sync(
        lambda conn: accounts.add_category(
            conn,
            args.slug,
            args.name,
            description=args.description,
            guidelines=guidelines,
            groups=args.group,
        )
    )
    scope = f" (only {', '.join(args.group)})" if args.group else ""
    return f"added category {args.slug} (id {category_id}){scope}"


def _seed_sample(store: Store, args: argparse.Namespace) -> str:
    from server import sample

    counts = store.write_sync(sample.seed)
    return f"seeded {counts['topics']} topics and {counts['posts']} posts"


def _backup(store: Store, args: argparse.Namespace) -> str:
    if args.destination.exists():
        raise CliError(f"{args.destination} exists; choose a new file")
    try:
        store.backup(args.destination)
    except OSError as exc:
        raise CliError(f"{args.destination}: {exc.strerror}") from exc
    return f"backed up {args.db} to {args.destination}"


def run(args: argparse.Namespace) -> int:
    """Run a server subcommand, turning expected failures into one clear line."""
    try:
        return int(args.func(args))
    except (CliError, SettingsError, SchemaTooNew) as exc:
        print(f"cohort: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"cohort: {exc.message}", file=sys.stderr)
        return 1
