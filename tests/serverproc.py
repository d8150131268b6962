"""Run `cohort serve` as a real child process for tests, on a Unix socket or a loopback port.

Every server started here is stopped by the fixture that made it, and binds only to
127.0.0.1 or a socket inside the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 20.0


def cohort_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui", *args]


def run_cohort(
    *args: str, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cohort_command(*args),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


@dataclass
class ServerProcess:
    db: Path
    socket: Path | None
    proc: subprocess.Popen[str]
    base_url: str
    log_lines: list[str] = field(default_factory=list)

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.HTTPTransport(uds=str(self.socket)) if self.socket else None
        return httpx.Client(
            base_url=self.base_url, transport=transport, headers=headers, timeout=30, **kwargs
        )

    def async_client(self, token: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket)) if self.socket else None
        return httpx.AsyncClient(
            base_url=self.base_url, transport=transport, headers=headers, timeout=30, **kwargs
        )

    def admin(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_cohort("admin", "--db", str(self.db), *args, input=input)

    def token_for(self, username: str, *, moderator: bool = False) -> str:
        """Create the user if needed and mint a token for them."""
        listed = self.admin("list-users").stdout
        if not re.search(rf"^\s*\d+\s+{re.escape(username)}\s", listed, re.M):
            extra = ["--moderator"] if moderator else []
            done = self.admin("add-user", username, *extra)
            assert done.returncode == 0, done.stderr
        done = self.admin("mint-token", username)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    @property
    def log(self) -> str:
        return "".join(self.log_lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing: what a power cut looks like to the process."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_server(
    tmp: Path,
    *,
    unix: bool = True,
    db: Path | None = None,
    args: tuple[str, ...] = (),
    no_limits: bool = True,
) -> ServerProcess:
    db = db or tmp / "forum.db"
    sock = tmp / "run" / "cohort.sock" if unix else None
    cmd = cohort_command("serve", "--db", str(db))
    cmd += ["--socket", str(sock)] if sock else ["--host", "127.0.0.1", "--port", "0"]
    if no_limits:
        cmd += ["--write-rate", "0", "--read-rate", "0"]
    cmd += list(args)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    found: dict[str, str] = {}
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            match = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if match:
                found["port"] = match.group(1)
            if "running on" in line:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    started = ready.wait(STARTUP_TIMEOUT)
    if not started or proc.poll() is not None or (sock is None and "port" not in found):
        proc.kill()
        proc.wait()
        raise RuntimeError("server did not start:\n" + "".join(lines))
    base_url = "http://cohort" if sock else f"http://127.0.0.1:{found['port']}"
    server = ServerProcess(db=db, socket=sock, proc=proc, base_url=base_url, log_lines=lines)
    while time.monotonic() < deadline:
        try:
            with server.client() as c:
                if c.get("/api/v1/site").status_code == 200:
                    return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("server never answered:\n" + "".join(lines))


def running(tmp: Path, **kwargs: Any) -> Iterator[ServerProcess]:
    server = start_server(tmp, **kwargs)
    try:
        yield server
    finally:
        server.stop()
