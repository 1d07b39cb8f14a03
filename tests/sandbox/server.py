"""`Sandbox`: the HTTPS server (hypercorn, TLS 1.3, h2 + http/1.1) and CONNECT proxy.

Both listeners run in ONE background thread with its own asyncio loop. instagrapi is
routed with nothing but a proxy URL and the CA bundle:

    with Sandbox(build_test_world()) as sandbox:
        client.set_proxy(sandbox.proxy_url)
        client.private.verify = str(sandbox.ca_path)

or through the environment (`sandbox.env()` = HTTPS_PROXY + REQUESTS_CA_BUNDLE).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import shutil
import socket
import ssl
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import h2.events
import hypercorn.protocol
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.events import RawData
from hypercorn.protocol.h2 import H2Protocol
from hyperframe.frame import GoAwayFrame

from .app import ConnectionResetRequested, SandboxApp
from .crypto import write_tls_files
from .proxy import ConnectProxy
from .world import World

_LOGGER = logging.getLogger(__name__)


class _QuietResets(logging.Filter):
    """Drop hypercorn's error record for the deliberate reset fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionResetRequested)


_HYPERCORN_LOG = logging.getLogger("tests.sandbox.hypercorn")
_HYPERCORN_LOG.addFilter(_QuietResets())
_HYPERCORN_LOG.setLevel(logging.WARNING)


class _Tls13Config(Config):
    """hypercorn config whose TLS context refuses anything below TLS 1.3."""

    def create_ssl_context(self) -> ssl.SSLContext | None:
        context = super().create_ssl_context()
        if context is not None:
            context.minimum_version = ssl.TLSVersion.TLSv1_3
        return context


#: Seconds an idle keep-alive connection stays open before the server closes it.
KEEP_ALIVE_TIMEOUT = 30.0
#: Requests one connection serves before the server ends it (nginx's
#: `keepalive_requests` default, also hypercorn's; Instagram does not publish its own).
MAX_REQUESTS_PER_CONNECTION = 1000
#: Seconds the server waits for the client's TLS close_notify before it drops the TCP
#: connection (asyncio's default is 30 s; real servers do not wait).
_SSL_SHUTDOWN_TIMEOUT = 0.5


class _GracefulH2Protocol(H2Protocol):
    """hypercorn's HTTP/2 protocol, ending a busy connection the way real servers do.

    After `keep_alive_max_requests` requests a server sends GOAWAY (NO_ERROR) naming
    the last stream it will still process, answers the streams up to it, and takes
    no new ones (RFC 9113 section 6.8; nginx `keepalive_requests`). The client then
    sends its next request over a new connection.

    hypercorn 0.18 does it with h2's `close_connection()` when stream N + 1 opens:
    its GOAWAY names that very stream as processed, but h2 refuses every frame
    after its own GOAWAY, so the stream's answer is dropped (a swallowed
    ProtocolError). The app has handled the request (the world logged it); the
    client waits for an answer until its read timeout, then resets the stream and
    hypercorn's close ends in "SSL shutdown timed out" (every 1,001st request of a
    connection: the sim's lost `v2/media/seen/`). This subclass disables that check
    and writes the GOAWAY frame itself when the N-th stream opens, so that h2 keeps
    answering; the client (or the idle timeout) closes the connection afterwards.
    Only the sandbox's own config (`_Tls13Config`) gets this behaviour.
    """

    def __init__(self, app: Any, config: Config, *args: Any, **kwargs: Any) -> None:
        self._goaway_after: int | None = None
        self._goaway_sent = False
        if isinstance(config, _Tls13Config):
            self._goaway_after = config.keep_alive_max_requests
            config = copy.copy(config)
            config.keep_alive_max_requests = sys.maxsize  # hypercorn's check: never
        super().__init__(app, config, *args, **kwargs)

    async def _create_stream(self, request: h2.events.RequestReceived) -> None:
        await super()._create_stream(request)
        limit = self._goaway_after
        if limit is None or self._goaway_sent or self.keep_alive_requests < limit:
            return
        self._goaway_sent = True
        await self._flush()  # whatever h2 has queued goes first
        goaway = GoAwayFrame(0, last_stream_id=request.stream_id)
        await self.send(RawData(data=goaway.serialize()))


# hypercorn's ProtocolWrapper builds its HTTP/2 protocol from this module attribute.
hypercorn.protocol.H2Protocol = _GracefulH2Protocol  # type: ignore[attr-defined]


class _Loop(asyncio.SelectorEventLoop):
    """The sandbox thread's loop; remembers hypercorn's servers to cut clients on stop.

    Since Python 3.12 `Server.wait_closed()` waits for every client connection, so a
    client that keeps an idle keep-alive connection would hold up stop().
    """

    def __init__(self) -> None:
        super().__init__()
        self.servers: list[asyncio.Server] = []

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:
        if kwargs.get("ssl") is not None:
            # A real server closes the TCP connection right after its close_notify;
            # asyncio's default waits 30 s for the peer's, leaving a half-dead
            # connection that curl reuses for the first request after an idle spell.
            kwargs.setdefault("ssl_shutdown_timeout", _SSL_SHUTDOWN_TIMEOUT)
        server = await super().create_server(*args, **kwargs)
        self.servers.append(server)
        return server

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Report the loop's errors, except the intended end of a TLS shutdown.

        A client keeps its idle pooled connection without reading it, so it never
        answers the server's close_notify; after `_SSL_SHUTDOWN_TIMEOUT` asyncio drops
        the connection (as meant) and hypercorn's close re-raises that as
        "Unhandled exception in client_connected_cb ... SSL shutdown timed out".
        A real server logs nothing there.
        """
        exc = context.get("exception")
        if isinstance(exc, TimeoutError) and str(exc) == "SSL shutdown timed out":
            _LOGGER.debug("TLS shutdown of an idle connection: the client sent none")
            return
        super().call_exception_handler(context)


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class Sandbox:
    """The running emulator. Start with `start()` or `with Sandbox(...) as sandbox:`.

    Args:
        world: The `World` to serve (a fresh empty one by default).
        port / proxy_port: TCP ports to bind (0: any free one).
        host: Address both listeners bind to.
        state_dir: Directory for the CA and certificate files (a temporary one by
            default, removed on stop).
        keep_alive_timeout: Seconds an idle connection stays open before the
            server closes it (`KEEP_ALIVE_TIMEOUT`).
        max_requests_per_connection: Requests one connection serves; with the
            last one the server sends GOAWAY and still answers it, and the
            client opens a new connection (`MAX_REQUESTS_PER_CONNECTION`).

    Attributes (valid after start()):
        url: `https://127.0.0.1:PORT` (the HTTPS server itself; admin API lives here).
        proxy_url: `http://127.0.0.1:PPORT` (the CONNECT proxy instagrapi uses).
        ca_path: Path of the CA certificate (PEM) that signed the server certificate.
        world: The `World` being served.
        port / proxy_port: The two TCP ports.
        proxy: The `ConnectProxy` (its `stats` list tunnels opened and refused).
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        port: int = 0,
        proxy_port: int = 0,
        host: str = "127.0.0.1",
        state_dir: Path | None = None,
        keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
        max_requests_per_connection: int = MAX_REQUESTS_PER_CONNECTION,
    ) -> None:
        self.world = world if world is not None else World()
        self.host = host
        self.port = port
        self.proxy_port = proxy_port
        self._state_dir = state_dir
        self.keep_alive_timeout = keep_alive_timeout
        self.max_requests_per_connection = max_requests_per_connection
        self._own_dir: Path | None = None
        self.ca_path = Path()
        self.proxy: ConnectProxy | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._app: SandboxApp | None = None

    @property
    def url(self) -> str:
        """Base URL of the HTTPS server."""
        return f"https://{self.host}:{self.port}"

    @property
    def proxy_url(self) -> str:
        """URL of the CONNECT proxy."""
        return f"http://{self.host}:{self.proxy_port}"

    def env(self) -> dict[str, str]:
        """Return HTTPS_PROXY + REQUESTS_CA_BUNDLE routing requests/instagrapi here."""
        return {"HTTPS_PROXY": self.proxy_url, "REQUESTS_CA_BUNDLE": str(self.ca_path)}

    # ------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 15.0) -> Self:
        """Bind both ports, start the thread, return once both listeners serve."""
        if self._thread is not None:
            msg = "sandbox already started"
            raise RuntimeError(msg)
        if self._state_dir is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="ig-sandbox-"))
        directory = self._state_dir or self._own_dir
        assert directory is not None
        self.ca_path, cert_path, key_path = write_tls_files(directory)
        https_sock = _listen(self.host, self.port)
        try:
            proxy_sock = _listen(self.host, self.proxy_port)
        except OSError:
            https_sock.close()
            raise
        self.port = https_sock.getsockname()[1]
        self.proxy_port = proxy_sock.getsockname()[1]

        config = _Tls13Config()
        config.bind = [f"fd://{https_sock.detach()}"]
        config.certfile = str(cert_path)
        config.keyfile = str(key_path)
        config.alpn_protocols = ["h2", "http/1.1"]
        config.graceful_timeout = 1.0
        config.keep_alive_timeout = self.keep_alive_timeout
        config.keep_alive_max_requests = self.max_requests_per_connection
        config.accesslog = None
        config.errorlog = _HYPERCORN_LOG
        config.loglevel = "WARNING"
        config.include_server_header = False

        self._thread = threading.Thread(
            target=self._run, args=(config, proxy_sock), name="ig-sandbox", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            msg = "sandbox did not start in time"
            raise TimeoutError(msg)
        if self._error is not None:
            error = self._error
            self.stop()
            msg = "sandbox failed to start"
            raise RuntimeError(msg) from error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop both listeners and join the thread (idempotent)."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is not None:
            if loop is not None and stop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stop.set)
            thread.join(timeout)
            if thread.is_alive():
                msg = "sandbox thread did not stop"
                raise RuntimeError(msg)
        self._thread = None
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> Self:
        """Start on entry."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on exit."""
        self.stop()

    # --------------------------------------------------------------- thread
    def _run(self, config: Config, proxy_sock: socket.socket) -> None:
        loop = _Loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(config, proxy_sock))
        except BaseException as exc:  # noqa: BLE001
            self._error = exc
        finally:
            try:
                pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(
                        asyncio.gather(*pending, return_exceptions=True)
                    )
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                proxy_sock.close()
                self._ready.set()

    async def _main(self, config: Config, proxy_sock: socket.socket) -> None:
        self._stop = asyncio.Event()
        self.proxy = ConnectProxy(self.host, self.port)
        self._app = SandboxApp(self.world, abort_connection=self.proxy.abort)
        self._app.shutdown = self._stop
        await self.proxy.start(proxy_sock)
        server = asyncio.ensure_future(
            serve(self._app, config, shutdown_trigger=self._stop.wait, mode="asgi")  # type: ignore[arg-type]
        )
        await asyncio.sleep(0)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.proxy.close()
            # Let answers in flight finish briefly, then drop lingering connections.
            await asyncio.wait({server}, timeout=0.5)
            loop = asyncio.get_running_loop()
            if not server.done() and isinstance(loop, _Loop):
                for listener in loop.servers:
                    listener.abort_clients()
            try:
                await asyncio.wait_for(server, 5)
            except TimeoutError, asyncio.CancelledError:
                server.cancel()
            except Exception:
                _LOGGER.debug("hypercorn stopped with an error", exc_info=True)
