"""Benchmark `cohort serve` on a generated 100k-post forum, next to a bare baseline.

    python bench/server.py [--quick] [--runs N] [--duration S] [--db PATH]
                           [--transport tcp|unix|both] [--client auto|raw|httpx|wrk]
                           [--concurrency C]

It starts the real `cohort serve` (one uvicorn worker, rate limits off) and
bench/baseline_app.py (a bare Starlette app under the same uvicorn settings) on 127.0.0.1
and/or a Unix socket, and drives both from a separate load-generator process
(bench/loadgen.py, or wrk when installed and on TCP). Every figure is the median of
several runs with their min and max, next to the baseline measured in the same runs
(interleaved with them, so both see the same machine): read the ratio, not the absolute
number, when comparing machines.

Figures: requests/s for a normal topic's view and for the 10,000-post thread's view
(every post id plus the first chunk), requests/s for new posts (many connections, so
the writer's group commit shows, and one connection), and sequential search latency
(p50/p95) for several kinds of query. With --db the forum is copied first: the original
is never written to. All processes are stopped and temporary files removed at the end,
also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: this file must not shadow server/
    _ROOT = Path(__file__).resolve().parent.parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
    sys.path.insert(0, str(_ROOT))

from bench import words
from bench.baseline_app import PATH as BASELINE_PATH
from bench.generate import generate
from server.store import Store, accounts

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
STARTUP_TIMEOUT = 60.0
LOADGEN_GRACE = 60.0  # beyond --duration before a load generator is killed
BENCH_USER = "bench-member"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- processes ----------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[str]
    address: dict[str, Any]  # {"host", "port"} or {"socket"}
    lines: list[str] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        """User + system CPU of the whole process (all threads) so far."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(name: str, cmd: list[str], socket: Path | None) -> Server:
    """Start a server in its own session (Ctrl-C reaches only us; we stop it) and wait
    until it listens."""
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    server = Server(name, proc, {})
    ready = threading.Event()
    found: dict[str, int] = {}

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.lines.append(line)
            match = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if match:
                found["port"] = int(match.group(1))
            if "running on" in line:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(STARTUP_TIMEOUT) or proc.poll() is not None:
        server.stop()
        raise RuntimeError(f"{name} did not start:\n" + "".join(server.lines[-30:]))
    server.address = (
        {"socket": str(socket)} if socket else {"host": "127.0.0.1", "port": found["port"]}
    )
    return server


def serve_command(db: Path, socket: Path | None) -> list[str]:
    where = ["--socket", str(socket)] if socket else ["--host", "127.0.0.1", "--port", "0"]
    return [
        sys.executable,
        "-m",
        "tui",
        "serve",
        "--db",
        str(db),
        *where,
        "--write-rate",
        "0",
        "--read-rate",
        "0",
    ]


def baseline_command(socket: Path | None) -> list[str]:
    where = ["--socket", str(socket)] if socket else ["--host", "127.0.0.1", "--port", "0"]
    return [sys.executable, "-m", "bench.baseline_app", *where]


# -- the load -----------------------------------------------------------------------------


def _loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=float(spec["duration"]) + LOADGEN_GRACE,
        check=False,
        start_new_session=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(spec: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The same measurement with wrk (TCP only): a Lua script sends the same requests."""
    script = tmp / "wrk.lua"
    reqs = []
    for req in spec["requests"]:
        headers = dict(req.get("headers") or {})
        body = json.dumps(req["body"]) if req.get("body") is not None else ""
        if body:
            headers["Content-Type"] = "application/json"
        reqs.append(
            {
                "method": req.get("method", "GET"),
                "path": req["path"],
                "headers": headers,
                "body": body,
            }
        )
    lua = ["local reqs = {}"]
    for i, r in enumerate(reqs, start=1):
        head = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in r["headers"].items())
        method, path, body = (json.dumps(r[k]) for k in ("method", "path", "body"))
        lua.append(
            f"reqs[{i}] = {{method = {method}, path = {path}, headers = {{{head}}}, body = {body}}}"
        )
    lua += [
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        "  local r = reqs[(n % #reqs) + 1]",
        "  local body = r.body ~= '' and string.gsub(r.body, '{n}', tostring(n)) or nil",
        "  return wrk.format(r.method, r.path, r.headers, body)",
        "end",
    ]
    script.write_text("\n".join(lua) + "\n")
    url = f"http://{spec['host']}:{spec['port']}"
    duration = max(1, round(float(spec["duration"])))
    done = subprocess.run(
        [
            "wrk",
            f"-t{min(2, spec['concurrency'])}",
            f"-c{spec['concurrency']}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            f"{LOADGEN_GRACE:g}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + LOADGEN_GRACE,
        check=False,
        start_new_session=True,
    )
    out = done.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if done.returncode != 0 or total is None:
        raise RuntimeError(f"wrk failed:\n{out}\n{done.stderr}")
    seconds = float(total.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[total.group(3)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = []
    if sock:
        errors += sum(int(g) for g in sock.groups())
        failures.append(sock.group(0))
    ok = int(total.group(1)) - (int(bad.group(1)) if bad else 0)

    def pct(label: str) -> float | None:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        return round(float(m.group(1)) * _WRK_UNITS[m.group(2)], 3) if m else None

    return {
        "ok": ok,
        "errors": errors,
        "statuses": {},
        "failures": failures,
        "seconds": seconds,
        "rps": round(ok / seconds, 1),
        "p50_ms": pct("50"),
        "p95_ms": None,
        "p99_ms": pct("99"),
        "client_cpu": None,
    }


@dataclass
class Figure:
    label: str
    kind: str  # "rate" or "latency"
    server: str  # "baseline" or "cohort"
    requests: list[dict[str, Any]]
    concurrency: int = 1
    results: list[dict[str, Any]] = field(default_factory=list)

    def measure(
        self, servers: dict[str, Server], args: argparse.Namespace, tmp: Path, client: str
    ) -> dict[str, Any]:
        server = servers[self.server]
        spec = {
            **server.address,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "duration": args.duration,
            "client": "raw" if client == "wrk" else client,
        }
        if self.kind == "latency":
            spec["max_requests"] = args.samples
        cpu, wall = server.cpu_seconds(), time.perf_counter()
        use_wrk = client == "wrk" and self.kind == "rate"
        result = _wrk(spec, tmp) if use_wrk else _loadgen(spec)
        wall = time.perf_counter() - wall
        result["server_cpu"] = (server.cpu_seconds() - cpu) / wall if wall > 0 else 0.0
        return result


# -- the forum ----------------------------------------------------------------------------


@dataclass
class Forum:
    posts: int
    topics: int
    normal: tuple[int, int]  # topic id, posts
    long: tuple[int, int]
    post_topics: list[int]
    user: str
    tag: str
    rare: str
    token: str


def survey(db: Path) -> Forum:
    """Pick the benchmark's targets from the forum itself, so any generated forum works."""
    conn = sqlite3.connect(db)
    try:
        public = """t.deleted_at IS NULL AND t.category_id NOT IN
                    (SELECT category_id FROM category_groups)"""
        posts, topics = conn.execute(
            "SELECT COALESCE(SUM(posts_count), 0), COUNT(*) FROM topics WHERE deleted_at IS NULL"
        ).fetchone()
        long = conn.execute(
            f"SELECT id, posts_count FROM topics t WHERE {public} "
            "ORDER BY posts_count DESC, id LIMIT 1"
        ).fetchone()
        rows = conn.execute(
            f"SELECT id, posts_count FROM topics t WHERE {public} AND t.id != ? "
            "AND NOT t.closed ORDER BY posts_count, id",
            (long[0],),
        ).fetchall()
        if not rows:
            raise RuntimeError(f"{db}: the forum needs public topics besides the longest")
        middle = len(rows) // 2
        normal = rows[middle]
        post_topics = [r[0] for r in rows[max(0, middle - 10) : middle + 10]]
        user = conn.execute(
            f"""SELECT u.username FROM posts p JOIN users u ON u.id = p.user_id
                JOIN topics t ON t.id = p.topic_id WHERE {public}
                GROUP BY u.id ORDER BY COUNT(*) DESC LIMIT 1"""
        ).fetchone()[0]
        tag = conn.execute(
            f"""SELECT tag FROM topic_tags JOIN topics t ON t.id = topic_id WHERE {public}
                GROUP BY tag ORDER BY COUNT(*) DESC LIMIT 1"""
        ).fetchone()
        hits = {
            w: conn.execute(
                "SELECT COUNT(*) FROM posts_fts WHERE posts_fts MATCH ?", (f'"{w}"',)
            ).fetchone()[0]
            for w in words.RARE_WORDS
        }
    finally:
        conn.close()
    rare = max(hits, key=lambda w: hits[w])
    return Forum(
        posts,
        topics,
        tuple(normal),
        tuple(long),
        post_topics,
        user,
        tag[0] if tag else "python",
        rare,
        "",
    )


def member_token(db: Path) -> str:
    """A plain member (in no group) with a bearer token, written before the server starts."""
    token = "cht_" + secrets.token_urlsafe(32)
    store = Store(db)

    def add(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (BENCH_USER,)).fetchone()
        user_id = row[0] if row else accounts.add_user(conn, BENCH_USER, name="Bench Member")
        accounts.store_token(conn, user_id, token, "bench")

    try:
        store.write_sync(add)
    finally:
        store.close()
    return token


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API, so the original is never written."""
    if not source.exists():
        raise SystemExit(f"bench: {source}: no such database")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


# -- the run ------------------------------------------------------------------------------


def figures(forum: Forum, args: argparse.Namespace) -> list[Figure]:
    auth = {"Authorization": f"Bearer {forum.token}"} if forum.token else {}

    def get(path: str) -> list[dict[str, Any]]:
        return [{"method": "GET", "path": path, "headers": auth}]

    c = args.concurrency
    # No word any search below looks for: the posts made here would otherwise add
    # matches to those searches, and a faster server would show slower searches.
    body = {
        "raw": "Benchmark reply {n}: checking how quickly the server takes a new post, "
        "with a few ordinary words about study and learning."
    }
    posts = [
        {"method": "POST", "path": f"{API}/topics/{tid}/posts", "headers": auth, "body": body}
        for tid in forum.post_topics
    ]
    normal_id, normal_n = forum.normal
    long_id, long_n = forum.long
    queries = [
        ("common word", words.COMMON_WORD),
        ("rare word", forum.rare),
        ("@user", f"@{forum.user}"),
        ("status:solved", "status:solved"),
        ("tag", f"tag:{forum.tag}"),
        ("words + filters", f"error tag:{forum.tag} status:unsolved"),
        ("in:title", "in:title python"),
    ]
    out = [
        Figure(
            f"baseline GET {BASELINE_PATH} (bare Starlette)",
            "rate",
            "baseline",
            [{"method": "GET", "path": BASELINE_PATH}],
            c,
        ),
        Figure(
            f"GET {API}/topics/{normal_id} (normal topic, {normal_n} posts)",
            "rate",
            "cohort",
            get(f"{API}/topics/{normal_id}"),
            c,
        ),
        Figure(
            f"GET {API}/topics/{long_id} (long thread, {long_n} posts)",
            "rate",
            "cohort",
            get(f"{API}/topics/{long_id}"),
            c,
        ),
        Figure(
            f"POST {API}/topics/{{id}}/posts ({c} connections, {len(posts)} topics)",
            "rate",
            "cohort",
            posts,
            c,
        ),
        Figure(f"POST {API}/topics/{{id}}/posts (1 connection)", "rate", "cohort", posts, 1),
        Figure(
            f"baseline GET {BASELINE_PATH}",
            "latency",
            "baseline",
            [{"method": "GET", "path": BASELINE_PATH}],
        ),
    ]
    for label, q in queries:
        path = f"{API}/search?" + _query({"q": q})
        out.append(Figure(f"search {label}: {q}", "latency", "cohort", get(path)))
    # The topic views once more, one request at a time: set against the throughput above,
    # they show what concurrency costs.
    for tid, what in ((normal_id, "normal topic"), (long_id, "long thread")):
        path = f"{API}/topics/{tid}"
        out.append(Figure(f"GET {path} ({what})", "latency", "cohort", get(path)))
    return out


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def check_targets(servers: dict[str, Server], figs: list[Figure]) -> dict[str, int]:
    """One request to each target first: all must answer 2xx. Returns response sizes."""
    import httpx

    sizes: dict[str, int] = {}
    for fig in figs:
        address = servers[fig.server].address
        transport = httpx.HTTPTransport(uds=address["socket"]) if "socket" in address else None
        base = (
            "http://cohort"
            if "socket" in address
            else (f"http://{address['host']}:{address['port']}")
        )
        req = fig.requests[0]
        if req["method"] != "GET":
            continue
        with httpx.Client(base_url=base, transport=transport, timeout=60) as client:
            response = client.get(req["path"], headers=req.get("headers") or {})
        if response.status_code != 200:
            raise RuntimeError(f"{fig.label}: {response.status_code} {response.text[:300]}")
        sizes[fig.label] = len(response.content)
    return sizes


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def report(figs: list[Figure], sizes: dict[str, int]) -> list[str]:
    lines: list[str] = []
    base_rate = next(f for f in figs if f.kind == "rate" and f.server == "baseline")
    base_lat = next(f for f in figs if f.kind == "latency" and f.server == "baseline")
    b_rps = statistics.median(r["rps"] for r in base_rate.results)
    b_p50 = statistics.median(r["p50_ms"] for r in base_lat.results)
    width = max(len(f.label) for f in figs) + 2
    lines.append(
        f"{'throughput (requests/s)':{width}}{'median':>9}{'min':>9}{'max':>9}"
        f"{'÷ baseline':>12}{'server CPU':>12}{'resp. bytes':>13}"
    )
    for f in figs:
        if f.kind != "rate":
            continue
        rps = [r["rps"] for r in f.results]
        cpu = statistics.median(r["server_cpu"] for r in f.results)
        med = statistics.median(rps)
        lines.append(
            f"{f.label:{width}}{_fmt(med):>9}{_fmt(min(rps)):>9}{_fmt(max(rps)):>9}"
            f"{med / b_rps:>12.3f}{cpu:>11.0%}{_fmt(sizes.get(f.label)):>13}"
        )
    lines.append("")
    lines.append(
        f"{'sequential latency (ms)':{width}}{'p50':>9}{'min':>9}{'max':>9}"
        f"{'p95':>9}{'x baseline':>12}{'resp. bytes':>13}"
    )
    for f in figs:
        if f.kind != "latency":
            continue
        p50 = [r["p50_ms"] for r in f.results]
        p95 = statistics.median(r["p95_ms"] for r in f.results)
        med = statistics.median(p50)
        lines.append(
            f"{f.label:{width}}{med:>9.2f}{min(p50):>9.2f}{max(p50):>9.2f}"
            f"{p95:>9.2f}{med / b_p50:>12.1f}{_fmt(sizes.get(f.label)):>13}"
        )
    return lines


def bench_transport(
    transport: str, db: Path, forum: Forum, args: argparse.Namespace, tmp: Path, client: str
) -> list[str]:
    servers: dict[str, Server] = {}
    run_dir = tmp / "run"
    run_dir.mkdir(exist_ok=True)
    run_dir.chmod(0o755)  # what `cohort serve` asks of a socket's folder
    try:
        unix = transport == "unix"
        servers["baseline"] = start_server(
            "baseline",
            baseline_command(run_dir / "baseline.sock" if unix else None),
            run_dir / "baseline.sock" if unix else None,
        )
        servers["cohort"] = start_server(
            "cohort serve",
            serve_command(db, run_dir / "cohort.sock" if unix else None),
            run_dir / "cohort.sock" if unix else None,
        )
        this = Forum(**{**forum.__dict__, "token": "" if unix else forum.token})
        figs = figures(this, args)
        sizes = check_targets(servers, figs)
        for fig in figs:  # warm up: caches, the first connection, the uid's account
            spec_args = argparse.Namespace(**{**vars(args), "duration": 1.0, "samples": 5})
            fig.measure(servers, spec_args, tmp, client)
        for run in range(args.runs):
            for fig in figs:
                result = fig.measure(servers, args, tmp, client)
                fig.results.append(result)
                if result["errors"]:
                    print(
                        f"  ! {fig.label}: {result['errors']} errors {result['statuses']} "
                        f"{result['failures'][:2]}",
                        file=sys.stderr,
                    )
            done = ", ".join(
                f"{f.results[-1]['rps']:,.0f}/s"
                if f.kind == "rate"
                else f"{f.results[-1]['p50_ms']:.1f}ms"
                for f in figs
            )
            print(f"  {transport} run {run + 1}/{args.runs}: {done}", file=sys.stderr)
        return report(figs, sizes)
    finally:
        for server in servers.values():
            server.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a small forum, 2 short runs: a smoke test")
    p.add_argument("--runs", type=int, help="runs per figure (default 5; quick 2)")
    p.add_argument(
        "--duration",
        type=float,
        help="seconds per throughput run, and the cap per latency run (default 5; quick 1.5)",
    )
    p.add_argument("--samples", type=int, help="requests per latency run (default 40; quick 10)")
    p.add_argument(
        "--db", type=Path, help="benchmark a copy of this forum instead of generating one"
    )
    p.add_argument("--posts", type=int, help="posts to generate (default 100000; quick 10000)")
    p.add_argument(
        "--long-thread", type=int, help="posts in the long thread (default 10000; quick 2000)"
    )
    p.add_argument("--transport", choices=["tcp", "unix", "both"], default="tcp")
    p.add_argument(
        "--client",
        choices=["auto", "raw", "httpx", "wrk"],
        default="auto",
        help="load generator: auto uses wrk for throughput on TCP when installed",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="connections for throughput figures (default 32)",
    )
    args = p.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 5)
    args.duration = args.duration or (1.5 if args.quick else 5.0)
    args.samples = args.samples or (10 if args.quick else 40)
    posts = args.posts or (10_000 if args.quick else 100_000)
    long_thread = (
        args.long_thread if args.long_thread is not None else (2_000 if args.quick else 10_000)
    )
    if min(args.runs, args.samples, args.concurrency) < 1 or args.duration <= 0:
        p.error("--runs, --samples, --concurrency and --duration must be positive")
    wrk = shutil.which("wrk")
    if args.client == "wrk" and not wrk:
        p.error("--client wrk: wrk is not installed")
    transports = ["tcp", "unix"] if args.transport == "both" else [args.transport]

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    tmp = Path(tempfile.mkdtemp(prefix="cohort-bench-"))
    try:
        db = tmp / "forum.db"
        if args.db:
            started = time.perf_counter()
            copy_database(args.db, db)
            made = f"copied from {args.db} in {time.perf_counter() - started:.1f} s"
        else:
            print(f"generating {posts:,} posts (long thread {long_thread:,})...", file=sys.stderr)
            stats = generate(db, posts=posts, long_thread=long_thread)
            made = (
                f"generated in {stats['seconds']:.1f} s (planning {stats['plan_seconds']:.1f}"
                f" s, writing {stats['write_seconds']:.1f} s)"
            )
        forum = survey(db)
        forum.token = member_token(db)
        out = [
            f"Cohort server benchmark: one uvicorn worker, rate limits off, {os.cpu_count()} CPUs",
            f"forum: {forum.posts:,} posts in {forum.topics:,} topics; long thread "
            f"{forum.long[1]:,} posts; {made}",
        ]
        for transport in transports:
            client = args.client
            if client == "auto":
                client = "wrk" if wrk and transport == "tcp" else "raw"
            elif client == "wrk" and transport != "tcp":
                client = "raw"
            where = "127.0.0.1" if transport == "tcp" else "a Unix socket"
            rate_client = {
                "wrk": "wrk -t2",
                "raw": "bench/loadgen.py raw asyncio HTTP/1.1",
                "httpx": "bench/loadgen.py httpx",
            }[client]
            print(f"benchmarking over {where} with {rate_client}...", file=sys.stderr)
            lines = bench_transport(transport, db, forum, args, tmp, client)
            out += [
                "",
                f"== over {where}; throughput: {rate_client}, {args.concurrency} connections, "
                f"{args.duration:g} s per run; latency: bench/loadgen.py, 1 connection, "
                f"{args.samples} requests per run; {args.runs} runs, median [min, max]",
                *lines,
            ]
        print("\n".join(out))
        return 0
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped, temporary files removed", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
