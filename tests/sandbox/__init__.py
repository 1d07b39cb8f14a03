"""A local emulator of Instagram's private API that the real instagrapi talks to.

Public surface:
    Sandbox            server.py   start()/stop(), url, proxy_url, ca_path, world, env()
    World, Clock       world.py    state: users, media, sessions, likes, request log,
                                   timeline ads and suggestions (TimelineInsert)
    Fault, FaultRule   faults.py   world.faults.add("media/*/like/", Fault.HTTP_429)
    SilentBlock        world.py    world.silent_block(username, since=..., until=...)
    captures           captures.py Instagram's error bodies from published captures
                                   (sources: SOURCES.md)
    build_test_world   testworld.py (ALICE, BOB... credentials; PUBLIC... targets)
    build_demo_world   demo.py
"""

from . import captures
from .demo import build_demo_world
from .faults import Fault, FaultRule, Faults
from .server import Sandbox
from .testworld import build_test_world
from .world import (
    Clock,
    Like,
    Media,
    RequestRecord,
    Seen,
    Session,
    SilentBlock,
    SilentLike,
    TimelineInsert,
    User,
    World,
)

__all__ = [
    "Clock",
    "Fault",
    "FaultRule",
    "Faults",
    "Like",
    "Media",
    "RequestRecord",
    "Sandbox",
    "Seen",
    "Session",
    "SilentBlock",
    "SilentLike",
    "TimelineInsert",
    "User",
    "World",
    "build_demo_world",
    "build_test_world",
    "captures",
]
