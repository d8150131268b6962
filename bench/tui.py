"""Benchmark the TUI in a real pseudo-terminal, next to bare Textual apps measured in
the same run.

    python bench/tui.py [--runs N] [--quick] [--moves N] [--posts N]

Figures (each the median of --runs runs, with min and max; the runs of the apps being
compared are interleaved, so both see the same machine):

1. Time to the first useful frame of `cohort` on the embedded forum from a warm cache
   (a first run in a temporary XDG home primes it): from starting the process until a
   topic title from the cache reaches the terminal. Next to it, a bare Textual app (one
   Static) from starting the process to its first frame, and the ratio of the two.
2. A 10,000-post thread from cache: ThreadView in a minimal app, fed from a Cache filled
   with generated posts. Time from mount (the cache is opened and read then) until post
   #1's header reaches the terminal, split into the cache read, `show()` and the paint,
   in a fresh process and in one where `post_render.warm_up()` ran first (as an app can
   do once its first screen is up); and the process's peak RSS (VmHWM), next to the bare
   app's.
3. Bytes written to the terminal per cursor move (j) at 120x40 in that thread (and with
   `highlight="block"`), and in Cohort's topic list (`TopicTable`, 1,000 rows), next to
   a bare Textual DataTable of the same rows moving its cursor one row, and how many
   moves scrolled.

Every app runs in its own process on a pty (os.openpty) of 120x40; the parent reads the
master side, so what is counted is exactly what a terminal (or SSH) would receive. Each
child runs with a private XDG home and is stopped, and temporary files removed, at the
end, also on an error. Timings are wall-clock on a possibly busy machine: read the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: bench/ must not shadow the packages
    _ROOT = Path(__file__).resolve().parent.parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
    sys.path.insert(0, str(_ROOT))

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
OP = "bench-op"  # the author of post #1: its header is the thread's first-frame marker
BARE_MARKER = "bench-bare-ready"
TOPIC_ID = 4242
START_TIMEOUT = 60.0
PRIME_TIMEOUT = 180.0
QUIET = 0.25  # no output for this long: the frame (or the move) is complete
BUDGETS = {"ratio": 1.5, "thread_ms": 200.0, "rss_mb": 150.0, "move_bytes": 2048}


# -- the child apps (run as `python bench/tui.py --child KIND ...`) ------------------------


def _report(**values: Any) -> None:
    """Tell the parent something, through the pipe it passed (never the terminal)."""
    fd = int(os.environ.get("BENCH_REPORT_FD", "-1"))
    if fd >= 0:
        os.write(fd, (json.dumps(values) + "\n").encode())


def child_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        BINDINGS = [("q", "quit", "Quit")]

        def compose(self) -> ComposeResult:
            yield Static(BARE_MARKER)

    Bare().run()


def child_table() -> None:
    """Textual's own DataTable at 120x40, moving its cursor: the baseline for bytes/move."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Table(App[None]):
        BINDINGS = [("q", "quit", "Quit"), ("j", "down", "Down")]

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Topic", "Category", "Re", "Last")
            for i in range(1000):
                table.add_row(f"{BARE_MARKER} topic {i}", "general", str(i % 40), f"{i % 59}m")
            table.focus()

        def action_down(self) -> None:
            table = self.query_one(DataTable)
            before = table.scroll_offset.y
            table.move_cursor(row=table.cursor_row + 1, animate=False)
            _report(move=True, scrolled=table.scroll_offset.y != before)

    Table().run()


def child_list() -> None:
    """Cohort's topic list (a RowTable) with the same 1,000 rows as the DataTable above,
    moving its cursor as j does on the home screen."""
    from textual.app import App, ComposeResult

    from tui.forum.models import Topic
    from widgets.topic_table import TopicTable

    now = datetime.now(UTC)
    topics = [
        Topic(
            id=i + 1,
            title=f"{BARE_MARKER} topic {i}",
            category_id=1,
            username="bench",
            posts_count=i % 40 + 1,
            reply_count=i % 40,
            bumped_at=now - timedelta(minutes=i % 59),
            unread_count=i % 3,
            solved=i % 7 == 0,
        )
        for i in range(1000)
    ]

    class List(App[None]):
        BINDINGS = [("q", "quit", "Quit"), ("j", "down", "Down")]

        def compose(self) -> ComposeResult:
            yield TopicTable(id="topics")

        def on_mount(self) -> None:
            table = self.query_one(TopicTable)
            table.show(topics, {1: "general"}, now=now)
            table.focus()

        def action_down(self) -> None:
            table = self.query_one(TopicTable)
            before = table.scroll_offset.y
            table.move_cursor(row=table.cursor_row + 1)
            _report(move=True, scrolled=table.scroll_offset.y != before)

    List().run()


def child_thread(cache_file: str, topic_id: int, flags: list[str]) -> None:
    """ThreadView alone, fed from the cache once mounted. "warm": the Markdown parser and
    the Python highlighter are loaded first, as an app does once its first screen is up
    (`post_render.warm_up`), so only opening the thread is timed. "block": the selected
    post is highlighted across all its lines. "twostep": the first posts are read and
    shown, and the whole thread read (in a thread) and shown once that frame is out."""
    from textual import work
    from textual.app import App, ComposeResult

    from tui.forum.cache import Cache
    from tui.forum.models import TopicPage
    from tui.forum.repository import FIRST_SCREEN
    from widgets.post_render import warm_up
    from widgets.thread_view import ThreadView

    class Thread(App[None]):
        BINDINGS = [("q", "quit", "Quit"), ("j", "move(1)", "Down"), ("k", "move(-1)", "Up")]

        def compose(self) -> ComposeResult:
            yield ThreadView(id="thread", highlight="block" if "block" in flags else "bar")

        def on_mount(self) -> None:
            if "warm" in flags:
                warm_up()
            start = time.monotonic()
            cache = Cache(Path(cache_file))
            if "twostep" in flags:  # as Repository.thread reads a long cached thread
                found = cache.get_thread(topic_id, limit=FIRST_SCREEN)
                assert found is not None, "the thread is not in the cache"
                page = found
            else:
                found = cache.get_thread(topic_id)
                assert found is not None, "the thread is not in the cache"
                page = found
            cache.close()
            read = time.monotonic()
            view = self.query_one(ThreadView)
            view.show(page, page.posts, last_read_post_number=page.topic.last_read_post_number)
            view.focus()
            shown = time.monotonic()
            _report(start=start, read=read - start, show=shown - read, posts=len(page.posts))
            if "twostep" in flags:
                self.call_after_refresh(self.read_the_rest)

        @work(thread=True)
        def read_the_rest(self) -> None:
            cache = Cache(Path(cache_file))
            try:
                page = cache.get_thread(topic_id)
            finally:
                cache.close()
            if page is not None:
                self.call_from_thread(self.show_the_rest, page)

        def show_the_rest(self, page: TopicPage) -> None:
            self.query_one(ThreadView).show(page, page.posts, last_read_post_number=None)
            self.call_after_refresh(lambda: _report(whole=time.monotonic()))

        def action_move(self, delta: int) -> None:
            view = self.query_one(ThreadView)
            before = view.scroll_offset.y
            view.move(delta)
            _report(move=True, scrolled=view.scroll_offset.y != before)

    Thread().run()


# -- a child on a pseudo-terminal ------------------------------------------------------------

_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1bP[^\x1b]*\x1b\\"  # DCS
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]"
)


def visible_text(data: bytes) -> str:
    """What a terminal would show of `data`, with every control sequence removed."""
    return _ESCAPES.sub(b"", data).decode("utf-8", "replace")


@dataclass
class PtyChild:
    """A process whose terminal is a pty of `size`; a thread drains the master side."""

    argv: list[str]
    env: dict[str, str]
    size: tuple[int, int] = SIZE
    started: float = 0.0
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._master, slave = os.openpty()
        cols, rows = self.size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        report_read, report_write = os.pipe()
        env = dict(self.env, BENCH_REPORT_FD=str(report_write))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            pass_fds=(report_write,),
            start_new_session=True,
        )
        os.close(slave)
        os.close(report_write)
        self._reports = report_read
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        buffered = b""
        streams = [self._master, self._reports]
        while streams:
            ready, _, _ = select.select(streams, [], [], 0.5)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                now = time.monotonic()
                if not data:
                    streams.remove(fd)
                    continue
                if fd == self._master:
                    with self._lock:
                        self.chunks.append((now, data))
                else:
                    buffered += data
                    *lines, buffered = buffered.split(b"\n")
                    with self._lock:
                        self.reports.extend(json.loads(line) for line in lines if line)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(len(data) for _, data in self.chunks)

    def wait_for(self, found: Callable[[str], bool], timeout: float) -> float:
        """The time the terminal's text first satisfied `found` (raises on timeout)."""
        deadline = time.monotonic() + timeout
        seen = 0
        text = ""
        while time.monotonic() < deadline:
            with self._lock:
                chunks = self.chunks[seen:]
            for when, data in chunks:
                seen += 1
                text = (text + visible_text(data))[-20000:]
                if found(text):
                    return when
            if self.proc.poll() is not None and seen == len(self.chunks):
                raise RuntimeError(f"{self.argv[-1]} exited: {text[-2000:]}")
            time.sleep(0.005)
        raise TimeoutError(f"not seen within {timeout}s; the screen shows: {text[-2000:]}")

    def wait_quiet(
        self, period: float = QUIET, timeout: float = 10.0, after: int | None = None
    ) -> None:
        """Wait until nothing has been written for `period` seconds (and, with `after`,
        until something beyond the first `after` chunks has been written)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                count = len(self.chunks)
                last = self.chunks[-1][0] if self.chunks else self.started
            if (after is None or count > after) and time.monotonic() - last >= period:
                return
            time.sleep(period / 5)

    def wait_report(self, key: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [r for r in self.reports if key in r]
            if len(found) >= count:
                return found
            time.sleep(0.005)
        raise TimeoutError(f"no report {key!r} from {self.argv[-1]}")

    def send(self, data: bytes) -> None:
        os.write(self._master, data)

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.send(b"q")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        for fd in (self._master, self._reports):
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.contextmanager
def pty_child(argv: list[str], env: dict[str, str]) -> Iterator[PtyChild]:
    child = PtyChild(argv, env)
    try:
        yield child
    finally:
        child.stop()


def child_argv(kind: str, *extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, *extra]


def cohort_argv() -> list[str]:
    return [sys.executable, "-m", "tui"]


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TEXTUAL"))}
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(folder)
    env.update(TERM="xterm-256color", COLORTERM="truecolor", TEXTUAL_ANIMATIONS="none")
    env.pop("NO_COLOR", None)
    # Compiled bytecode, as any installed program has (Textual's own is compiled at
    # install): without it every start would compile Cohort's sources (~70 ms).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


# -- the thread: 10,000 generated posts in a Cache ------------------------------------------


def generate_thread(count: int, seed: int = 4) -> tuple[Any, list[Any]]:
    """A topic and `count` posts written like a lively forum thread: paragraphs, code,
    lists, quotes, links and mentions; most posts reply to a recent one."""
    from bench import words
    from tui.forum.models import Post, Reaction, Topic

    rng = random.Random(seed)
    vocabulary = words.CONTENT_WORDS + words.FUNCTION_WORDS * 2 + words.TECH_WORDS
    people = [f"{rng.choice(words.FIRST_NAMES)}_{i}" for i in range(120)]
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def sentence() -> str:
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(6, 24)))
        return f"{rng.choice(words.OPENERS)} {text}."

    def body(number: int) -> str:
        parts = [" ".join(sentence() for _ in range(rng.randint(1, 4)))]
        roll = rng.random()
        if roll < 0.12:
            language, code = rng.choice(words.CODE_SNIPPETS)
            parts.append(f"```{language}\n{code}\n```")
        elif roll < 0.22:
            parts.append("\n".join(f"- {sentence()}" for _ in range(rng.randint(2, 4))))
        elif roll < 0.28 and number > 2:
            quoted = rng.randint(1, number - 1)
            parts.insert(
                0,
                f'[quote="{rng.choice(people)}, post:{quoted}, topic:{TOPIC_ID}"]\n'
                f"{sentence()}\n[/quote]",
            )
        if rng.random() < 0.15:
            url, title = rng.choice(words.POPULAR_LINKS)
            parts.append(f"See [{title}]({url}) for more, @{rng.choice(people)}.")
        if rng.random() < 0.3:
            parts.append(sentence())
        return "\n\n".join(parts)

    posts = []
    for number in range(1, count + 1):
        reply_to = None
        if number > 2 and rng.random() < 0.55:
            reply_to = rng.randint(max(1, number - 40), number - 1)
        reactions: tuple[Reaction, ...] = ()
        if rng.random() < 0.3:
            reactions = (Reaction("like", rng.randint(1, 12)),)
            if rng.random() < 0.3:
                reactions += (Reaction("tada", rng.randint(1, 3)),)
        posts.append(
            Post(
                id=900_000 + number,
                topic_id=TOPIC_ID,
                post_number=number,
                username=OP if number == 1 else rng.choice(people),
                created_at=start + timedelta(minutes=7 * number),
                raw=body(number),
                reply_to_post_number=reply_to,
                reactions=reactions,
                like_count=reactions[0].count if reactions else 0,
                accepted=number == 37,
            )
        )
    topic = Topic(
        id=TOPIC_ID,
        title="A very long thread",
        category_id=1,
        username=OP,
        posts_count=count,
        reply_count=count - 1,
        bumped_at=posts[-1].created_at,
        highest_post_number=count,
        solved=True,
        solution_post_number=37,
    )
    return topic, posts


def fill_cache(path: Path, count: int) -> None:
    from tui.forum.cache import Cache
    from tui.forum.models import TopicPage

    topic, posts = generate_thread(count)
    cache = Cache(path)
    try:
        page = TopicPage(topic, tuple(p.id for p in posts), tuple(posts[:20]))
        assert cache.put_thread(page) and cache.put_posts(posts), "the cache refused the posts"
    finally:
        cache.close()


# -- the measurements ----------------------------------------------------------------------


def sample_titles() -> list[str]:
    """The embedded forum's topic titles (its seed data), cut to what a table shows."""
    data = tomllib.loads((ROOT / "server/sample/community.toml").read_text(encoding="utf-8"))
    return [t["title"][:18] for t in data.get("topics", []) if len(t.get("title", "")) >= 8]


def titles_shown(titles: list[str]) -> Callable[[str], bool]:
    return lambda text: any(title in text for title in titles)


def prime_cohort(home: Path, titles: list[str]) -> None:
    """Run cohort once so the embedded forum exists and its topic list is cached."""
    with pty_child(cohort_argv(), base_env(home)) as child:
        child.wait_for(titles_shown(titles), PRIME_TIMEOUT)
        child.wait_quiet(1.0, timeout=30)


def first_frame(argv: list[str], env: dict[str, str], found: Callable[[str], bool]) -> float:
    """Seconds from starting the process until its terminal shows what `found` wants."""
    with pty_child(argv, env) as child:
        return child.wait_for(found, START_TIMEOUT) - child.started


def bare_run(home: Path) -> tuple[float, float]:
    with pty_child(child_argv("bare"), base_env(home)) as child:
        seen = child.wait_for(lambda text: BARE_MARKER in text, START_TIMEOUT)
        child.wait_quiet()
        return seen - child.started, child.peak_rss_mb()


def moves(child: PtyChild, count: int) -> tuple[list[int], int]:
    """Bytes written for each of `count` presses of j, and how many of them scrolled."""
    child.wait_quiet(0.5)
    sizes = []
    for i in range(count):
        before = child.total
        with child._lock:
            chunks = len(child.chunks)
        child.send(b"j")
        child.wait_report("move", i + 1)
        child.wait_quiet(after=chunks, timeout=2.0)
        sizes.append(child.total - before)
    scrolled = sum(1 for r in child.reports if r.get("move") and r.get("scrolled"))
    return sizes, scrolled


def thread_run(home: Path, cache_file: Path, move_count: int, *flags: str) -> dict[str, Any]:
    argv = child_argv("thread", str(cache_file), str(TOPIC_ID), *flags)
    with pty_child(argv, base_env(home)) as child:
        seen = child.wait_for(lambda text: OP in text, START_TIMEOUT)
        (report,) = child.wait_report("start", 1)
        whole = None
        if "twostep" in flags:
            (done,) = child.wait_report("whole", 1, timeout=START_TIMEOUT)
            whole = done["whole"] - report["start"]
        child.wait_quiet()
        sizes, scrolled = moves(child, move_count) if move_count else ([], 0)
        rss = child.peak_rss_mb()
    total = seen - report["start"]
    return {
        "whole": whole,
        "first_frame": total,
        "read": report["read"],
        "show": report["show"],
        "paint": total - report["read"] - report["show"],
        "rss": rss,
        "moves": sizes,
        "scrolled": scrolled,
        "posts": report["posts"],
    }


def table_run(home: Path, move_count: int, kind: str = "table") -> tuple[list[int], int]:
    with pty_child(child_argv(kind), base_env(home)) as child:
        child.wait_for(lambda text: BARE_MARKER in text, START_TIMEOUT)
        return moves(child, move_count)


@dataclass
class Series:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    def extend(self, values: list[int]) -> None:
        self.values.extend(values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def span(self, scale: float = 1.0, fmt: str = "{:.0f}") -> str:
        return (
            f"{fmt.format(self.median * scale)} "
            f"({fmt.format(min(self.values) * scale)}-{fmt.format(max(self.values) * scale)})"
        )


def verdict(ok: bool) -> str:
    return "within budget" if ok else "OVER BUDGET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--moves", type=int, default=20, help="cursor moves measured per run")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="2 runs, 8 moves")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "bare":
        child_bare()
        return 0
    if args.child == "table":
        child_table()
        return 0
    if args.child == "list":
        child_list()
        return 0
    if args.child == "thread":
        child_thread(args.rest[0], int(args.rest[1]), args.rest[2:])
        return 0
    if args.quick:
        args.runs, args.moves = 2, 8

    home = Path(tempfile.mkdtemp(prefix="cohort-bench-tui-"))
    try:
        return measure(home, args.runs, args.moves, args.posts)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(home: Path, runs: int, move_count: int, post_count: int) -> int:
    from tui.forum.repository import FIRST_SCREEN

    cohort_home = home / "cohort"
    titles = sample_titles()
    print(f"priming cohort's cache in {cohort_home} ...", flush=True)
    prime_cohort(cohort_home, titles)
    cache_file = home / "thread-cache.sqlite"
    print(f"filling a cache with a {post_count}-post thread ...", flush=True)
    fill_cache(cache_file, post_count)

    bare, bare_rss, cohort = Series(), Series(), Series()
    keys = ("first_frame", "read", "show", "paint", "rss")
    cold = {k: Series() for k in keys}
    warm = {k: Series() for k in keys}
    twostep = {k: Series() for k in keys}
    whole = Series()
    thread_moves, block_moves, table_moves, list_moves = Series(), Series(), Series(), Series()
    scrolled = table_scrolled = list_scrolled = 0
    for run in range(runs):
        seconds, rss = bare_run(home / "bare")
        bare.add(seconds)
        bare_rss.add(rss)
        cohort.add(first_frame(cohort_argv(), base_env(cohort_home), titles_shown(titles)))
        result = thread_run(home / "thread", cache_file, move_count)
        for key, series in cold.items():
            series.add(result[key])
        thread_moves.extend(result["moves"])
        scrolled += result["scrolled"]
        warmed = thread_run(home / "thread", cache_file, 0, "warm")
        for key, series in warm.items():
            series.add(warmed[key])
        early = thread_run(home / "thread", cache_file, 0, "warm", "twostep")
        for key, series in twostep.items():
            series.add(early[key])
        whole.add(early["whole"])
        block = thread_run(home / "thread", cache_file, move_count, "block")
        block_moves.extend(block["moves"])
        sizes, table_scroll = table_run(home / "table", move_count)
        table_moves.extend(sizes)
        table_scrolled += table_scroll
        sizes, list_scroll = table_run(home / "table", move_count, "list")
        list_moves.extend(sizes)
        list_scrolled += list_scroll
        print(
            f"run {run + 1}/{runs}: bare {seconds * 1000:.0f} ms,"
            f" cohort {cohort.values[-1] * 1000:.0f} ms,"
            f" thread {result['first_frame'] * 1000:.0f} ms"
            f" (warmed {warmed['first_frame'] * 1000:.0f} ms) / {result['rss']:.0f} MB,"
            f" move {statistics.median(result['moves']):.0f} B",
            flush=True,
        )

    ratio = cohort.median / bare.median
    print()
    print(f"medians of {runs} runs (min-max), at {SIZE[0]}x{SIZE[1]} on a pty")
    print(f"  bare Textual app: first frame {bare.span(1000)} ms, peak RSS {bare_rss.span()} MB")
    print(f"1 cohort, first useful frame (warm cache): {cohort.span(1000)} ms")
    print(
        f"  ratio to the bare app: {ratio:.2f}x"
        f" (budget {BUDGETS['ratio']}x: {verdict(ratio <= BUDGETS['ratio'])})"
    )
    print(f"2 a {post_count}-post thread from cache (ThreadView in a minimal app), first frame:")
    for name, figures in (
        ("fresh process", cold),
        ("parser warmed up", warm),
        (f"warmed, the first {FIRST_SCREEN} posts read first (as the app does)", twostep),
    ):
        first = figures["first_frame"].median * 1000
        print(
            f"  {name}: {figures['first_frame'].span(1000)} ms"
            f" (budget {BUDGETS['thread_ms']:.0f} ms: {verdict(first <= BUDGETS['thread_ms'])})"
        )
        print(
            f"    = cache read {figures['read'].span(1000)} ms"
            f" + show() {figures['show'].span(1000)} ms"
            f" + first paint {figures['paint'].span(1000)} ms"
        )
    print(f"    (then the whole thread read in a thread and shown: {whole.span(1000)} ms)")
    rss = cold["rss"].median
    print(
        f"  peak RSS {cold['rss'].span()} MB (budget {BUDGETS['rss_mb']:.0f} MB:"
        f" {verdict(rss <= BUDGETS['rss_mb'])}; the bare app: {bare_rss.median:.0f} MB)"
    )
    per_move = thread_moves.median
    print(
        f"3 bytes written per cursor move (j): {thread_moves.span()} B"
        f" (budget {BUDGETS['move_bytes']} B: {verdict(per_move <= BUDGETS['move_bytes'])});"
        f" {scrolled} of {len(thread_moves.values)} moves scrolled the view,"
        f" mean {statistics.mean(thread_moves.values):.0f} B"
    )
    print(
        f'  with highlight="block" (the background across every line of the post):'
        f" {block_moves.span()} B, mean {statistics.mean(block_moves.values):.0f} B"
    )
    print(
        f"  the bare app's DataTable: {table_moves.span()} B per cursor move,"
        f" {table_scrolled} scrolled, mean {statistics.mean(table_moves.values):.0f} B"
    )
    in_list = list_moves.median
    print(
        f"  Cohort's topic list, the same 1000 rows: {list_moves.span()} B per cursor move"
        f" (budget {BUDGETS['move_bytes']} B: {verdict(in_list <= BUDGETS['move_bytes'])}),"
        f" {list_scrolled} scrolled, mean {statistics.mean(list_moves.values):.0f} B"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
