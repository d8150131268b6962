"""The load generator bench/server.py runs in its own process, one measurement per run.

    python -m bench.loadgen SPEC_JSON     (prints one JSON result line)

SPEC: {"host": "127.0.0.1", "port": N} or {"socket": PATH}; "requests": [{"method",
"path", "headers", "body"}] (taken in turn; "{n}" in a body becomes a running number);
"concurrency": connections; "duration": seconds; "max_requests": a cap; "client": "raw"
or "httpx".

The "raw" client speaks just enough HTTP/1.1 (keep-alive, Content-Length or chunked
bodies) to cost the machine little, so a fast server is not hidden behind a slow client;
"httpx" is the ordinary client, for comparison. Every loop stops by itself at the
deadline or the cap, and a request still in flight is given at most IN_FLIGHT_GRACE
seconds more.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

IN_FLIGHT_GRACE = 10.0


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def count(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            self.ok += 1
            self.latencies.append(seconds)
        else:
            self.errors += 1


class Budget:
    """Shared by the workers: who may start another request."""

    def __init__(self, deadline: float, cap: int) -> None:
        self.deadline = deadline
        self.left = cap
        self.n = 0

    def take(self) -> int | None:
        if self.left <= 0 or time.perf_counter() >= self.deadline:
            return None
        self.left -= 1
        self.n += 1
        return self.n


def _encode(req: dict[str, Any], n: int) -> bytes:
    body = req.get("body")
    data = json.dumps(body).replace("{n}", str(n)).encode() if body is not None else b""
    lines = [f"{req.get('method', 'GET')} {req['path']} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (req.get("headers") or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One response off the connection: its status, and whether the server will close."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    chunked = closing = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            closing = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, closing


async def _raw_worker(spec: dict[str, Any], budget: Budget, tally: Tally) -> None:
    requests = spec["requests"]
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while (n := budget.take()) is not None:
            if conn is None:
                if spec.get("socket"):
                    conn = await asyncio.open_unix_connection(spec["socket"], limit=2**22)
                else:
                    conn = await asyncio.open_connection(spec["host"], spec["port"], limit=2**22)
            reader, writer = conn
            data = _encode(requests[n % len(requests)], n)
            started = time.perf_counter()
            try:
                writer.write(data)
                status, closing = await asyncio.wait_for(_read_response(reader), _grace(budget))
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                tally.errors += 1
                if len(tally.failures) < 5:
                    tally.failures.append(repr(exc))
                writer.close()
                conn = None
                continue
            tally.count(status, time.perf_counter() - started)
            if closing:
                writer.close()
                conn = None
    finally:
        if conn is not None:
            conn[1].close()


def _grace(budget: Budget) -> float:
    return max(budget.deadline - time.perf_counter(), 0) + IN_FLIGHT_GRACE


async def _httpx_worker(spec: dict[str, Any], client: Any, budget: Budget, tally: Tally) -> None:
    import httpx

    requests = spec["requests"]
    while (n := budget.take()) is not None:
        req = requests[n % len(requests)]
        body = req.get("body")
        content = json.dumps(body).replace("{n}", str(n)).encode() if body is not None else None
        headers = dict(req.get("headers") or {})
        if content is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            response = await client.request(
                req.get("method", "GET"),
                req["path"],
                content=content,
                headers=headers,
                timeout=_grace(budget),
            )
        except httpx.HTTPError as exc:
            tally.errors += 1
            if len(tally.failures) < 5:
                tally.failures.append(repr(exc))
            continue
        tally.count(response.status_code, time.perf_counter() - started)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    concurrency = int(spec.get("concurrency", 1))
    started = time.perf_counter()
    budget = Budget(started + float(spec["duration"]), int(spec.get("max_requests", 10**9)))
    tally = Tally()
    cpu = time.process_time()
    if spec.get("client", "raw") == "httpx":
        import httpx

        transport = httpx.AsyncHTTPTransport(uds=spec["socket"]) if spec.get("socket") else None
        base = "http://cohort" if spec.get("socket") else f"http://{spec['host']}:{spec['port']}"
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=base, transport=transport, limits=limits) as client:
            await asyncio.gather(
                *(_httpx_worker(spec, client, budget, tally) for _ in range(concurrency))
            )
    else:
        await asyncio.gather(*(_raw_worker(spec, budget, tally) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    lat = sorted(tally.latencies)

    def pct(q: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 3) if lat else None

    return {
        "ok": tally.ok,
        "errors": tally.errors,
        "statuses": tally.statuses,
        "failures": tally.failures,
        "seconds": round(elapsed, 3),
        "rps": round(tally.ok / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "client_cpu": round(time.process_time() - cpu, 3),
    }


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(spec))
    else:  # the event loop uvicorn uses too
        result = uvloop.run(run(spec))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
