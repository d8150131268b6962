"""Tell the app which local account is on the other end of a Unix socket.

uvicorn gives the ASGI app no access to the socket, so this protocol reads the peer's
credentials (SO_PEERCRED) once per connection and wraps the app so every request on that
connection carries them in `scope["cohort.peer_uid"]`. The kernel vouches for the uid: it
cannot be forged by the client.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PEER_UID = "cohort.peer_uid"


def peer_uid(sock: socket.socket | None) -> int | None:
    if sock is None or sock.family != socket.AF_UNIX or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class WithPeerUid:
    """An ASGI app that stamps every HTTP scope with a fixed peer uid."""

    def __init__(self, app: Any, uid: int | None) -> None:
        self.app = app
        self.uid = uid

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, PEER_UID: self.uid}
        await self.app(scope, receive, send)


class PeerCredProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app = WithPeerUid(self.app, peer_uid(transport.get_extra_info("socket")))
