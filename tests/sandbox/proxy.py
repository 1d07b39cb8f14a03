"""HTTP CONNECT proxy that tunnels Instagram's hostnames to the sandbox's HTTPS server.

The proxy never decrypts: after `HTTP/1.1 200 Connection established` it relays raw
bytes, so TLS (and certificate verification) stays end to end between the client and
hypercorn. CONNECT to anything but Instagram's hosts (API and image CDN) on port 443
is refused with 403.
It records only the CONNECT target host and counters, never headers or payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

_HEAD_LIMIT = 16 * 1024
_HEAD_TIMEOUT = 10.0
_CHUNK = 64 * 1024


def is_instagram_host(host: str) -> bool:
    """instagram.com and its subdomains, and the image CDN's `*.cdninstagram.com`."""
    host = host.lower().rstrip(".")
    return host == "instagram.com" or host.endswith(
        (".instagram.com", ".cdninstagram.com")
    )


@dataclass
class _Tunnel:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter


@dataclass
class ProxyStats:
    """What the proxy saw (no secrets): CONNECT targets accepted and refused."""

    tunnels: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class ConnectProxy:
    """Runs on the sandbox's event loop; see module docstring."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._tunnels: dict[tuple[str, int], _Tunnel] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, sock: socket.socket) -> None:
        """Serve on an already bound, listening socket."""
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def close(self) -> None:
        """Stop accepting, cut every tunnel, wait for the relays to end."""
        if self._server is not None:
            self._server.close()
        for tunnel in list(self._tunnels.values()):
            tunnel.client.transport.abort()
            tunnel.upstream.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def abort(self, upstream_peer: tuple[str, int] | None) -> bool:
        """Reset (RST) the tunnel whose upstream socket has this local address.

        The HTTPS server sees the proxy's upstream socket as its client, so the app
        passes the ASGI `client` address here. Returns False when no tunnel matches
        (the client connected directly).
        """
        if upstream_peer is None:
            return False
        tunnel = self._tunnels.pop((upstream_peer[0], upstream_peer[1]), None)
        if tunnel is None:
            return False
        for writer in (tunnel.client, tunnel.upstream):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
            writer.transport.abort()
        return True

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            TimeoutError,
            asyncio.LimitOverrunError,
            OSError,
        ):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.transport.abort()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_TIMEOUT)
        if len(head) > _HEAD_LIMIT:
            await self._refuse(writer, 431, "Request Header Fields Too Large")
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3 or parts[0].upper() != "CONNECT":
            await self._refuse(writer, 405, "Method Not Allowed")
            return
        host, _, port = parts[1].rpartition(":")
        host = host.strip("[]")
        if not is_instagram_host(host) or port != "443":
            self.stats.refused.append(parts[1])
            await self._refuse(writer, 403, "Forbidden")
            return
        up_reader, up_writer = await asyncio.open_connection(
            self.upstream_host, self.upstream_port
        )
        local = up_writer.get_extra_info("sockname")
        key = (local[0], local[1])
        self._tunnels[key] = _Tunnel(writer, up_writer)
        self.stats.tunnels.append(host)
        try:
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(
                self._pipe(reader, up_writer), self._pipe(up_reader, writer)
            )
        finally:
            self._tunnels.pop(key, None)
            up_writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(_CHUNK):
                writer.write(data)
                await writer.drain()
        except ConnectionError, OSError:
            pass
        finally:
            if writer.can_write_eof() and not writer.is_closing():
                with contextlib.suppress(OSError, RuntimeError):
                    writer.write_eof()

    @staticmethod
    async def _refuse(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        with contextlib.suppress(ConnectionError, OSError):
            await writer.drain()
