"""The baseline for bench/server.py: a bare Starlette app answering a small fixed JSON,
served by uvicorn configured exactly as `cohort serve` configures it.

What Cohort's endpoints cost beyond this is the forum's own work (auth, SQLite, JSON
building); what this costs is the floor set by Python, uvicorn and the load generator on
this machine.

    python -m bench.baseline_app (--socket PATH | --host 127.0.0.1 --port N)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/server.py must not shadow server/
    _ROOT = Path(__file__).resolve().parent.parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
    sys.path.insert(0, str(_ROOT))

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PATH = "/api/v1/baseline"
_BODY = {"software": "cohort-baseline", "api": 1, "ok": True}


async def baseline(request: Request) -> Response:
    return JSONResponse(_BODY)


app = Starlette(routes=[Route(PATH, baseline, methods=["GET"])])


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from server.peercred import PeerCredProtocol

    p = argparse.ArgumentParser(description="the bench baseline server")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", type=Path)
    where.add_argument("--port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args(argv)
    # The same settings as server/cli.py's serve().
    config = uvicorn.Config(
        app,
        uds=str(args.socket) if args.socket else None,
        host=args.host,
        port=args.port or 0,
        http=PeerCredProtocol,
        loop="auto",
        lifespan="on",
        access_log=False,
        log_level="info",
        server_header=False,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
