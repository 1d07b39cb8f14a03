"""Run the sandbox in the foreground: `python -m tests.sandbox [--port N] [--world W]`.

Prints exactly one line, then serves until SIGINT/SIGTERM:

    sandbox: url=https://127.0.0.1:PORT proxy=http://127.0.0.1:PPORT ca=/abs/ca.pem \
        username=... password=... code=...

(one line in reality; `code=` only for worlds whose account uses two-factor).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .demo import DEMO_CODE, DEMO_PASSWORD, DEMO_USERNAME, build_demo_world
from .server import Sandbox
from .testworld import ALICE, build_test_world

if TYPE_CHECKING:
    from collections.abc import Callable

    from .world import World

#: name -> (builder, username, password, two-factor code or None)
WORLDS: dict[str, tuple[Callable[[], World], str, str, str | None]] = {
    "demo": (build_demo_world, DEMO_USERNAME, DEMO_PASSWORD, DEMO_CODE),
    "test": (build_test_world, ALICE.username, ALICE.password, None),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.sandbox", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--port", type=int, default=0, help="HTTPS port (default: any free port)"
    )
    parser.add_argument(
        "--proxy-port",
        type=int,
        default=0,
        help="CONNECT proxy port (default: any free port)",
    )
    parser.add_argument("--world", choices=sorted(WORLDS), default="demo")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".sandbox"),
        help="where ca.pem and the server key go (default .sandbox/)",
    )
    args = parser.parse_args(argv)
    build, username, password, code = WORLDS[args.world]

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    sandbox = Sandbox(
        build(),
        port=args.port,
        proxy_port=args.proxy_port,
        state_dir=args.state_dir.resolve(),
    )
    sandbox.start()
    try:
        line = (
            f"sandbox: url={sandbox.url} proxy={sandbox.proxy_url} "
            f"ca={sandbox.ca_path} "
            f"username={username} password={password}"
        )
        if code is not None:
            line += f" code={code}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
