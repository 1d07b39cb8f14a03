"""
A chaos day: random faults, kills and restarts; what Instagram received is checked.

The harness of `scripts/benchmark --chaos` (tests/bench/chaos.py) for one simulated
day with a fixed seed: the real integration against the emulator, restarted over
its files on disk after graceful stops, hard kills and torn store writes. The
auditor (tests/bench/audit.py) reads Instagram's side: no media got a second like
request, no sliding hour or day passed the limits, no like was sent in a freeze,
nothing stayed wrong after its cause ended, and the integration knew and counted
every like Instagram kept after each restart (no lost like). The harness's own parts
(the auditor's reading of the request log, the random faults) are checked first.
"""

from __future__ import annotations

import asyncio
import random

from tests.bench.audit import _second_requests
from tests.bench.chaos import Chaos, RandomFaults
from tests.sandbox import Fault
from tests.sandbox.world import RequestRecord

#: A seed whose day has every kind of stop, a fault mix and a reauthentication.
SEED = 2


def _like(arrived: float, at: float, fault: str | None = None) -> RequestRecord:
    """A like request for media 1 as the emulator logs it."""
    return RequestRecord(
        at=at,
        wall=0.0,
        method="POST",
        host="i.instagram.com",
        path="/api/v1/media/1/like/",
        endpoint="media/1/like/",
        query={},
        viewer_pk=7,
        status=200,
        fault=fault,
        media_pk=1,
        arrived=arrived,
    )


def test_an_answer_a_timeout_held_back_is_no_second_like_a_later_request_is() -> None:
    # Logged an hour of simulated time after it arrived and acted.
    late = _like(arrived=100.0, at=3700.0, fault="timeout")
    assert _second_requests([late], {1: 100.0}) == {}
    assert _second_requests([late, _like(200.0, 200.0)], {1: 100.0}) == {1: 200.0}
    # A like a silent block dropped kept nothing: liking again is no double.
    dropped = _like(arrived=50.0, at=50.0, fault="silent_drop")
    assert _second_requests([dropped, _like(300.0, 300.0)], {1: 300.0}) == {}


def test_random_faults_fit_the_endpoint_and_stop_in_the_calm() -> None:
    faults = RandomFaults(random.Random(1), share=1.0)  # noqa: S311 - a test draw
    drawn = [faults.check("GET", "feed/user/5/") for _ in range(300)]
    assert all(rule is not None for rule in drawn)
    assert Fault.SILENT_DROP not in {rule.fault for rule in drawn if rule}
    assert faults.drawn == len({id(rule) for rule in drawn})  # a reset's resend too
    faults.calm = True
    assert faults.check("POST", "media/1/like/") is None


def test_a_chaos_day_sends_instagram_no_double_like_and_passes_no_limit(
    socket_enabled: None,
) -> None:
    result = asyncio.run(Chaos(1, SEED).run())

    assert result.restarts >= 3
    assert result.faults >= 10
    counts = result.counts
    assert counts["double_likes"] == 0, result.notes
    assert counts["limit_violations"] == 0, result.notes
    assert counts["likes_in_freeze"] == 0, result.notes
    assert counts["stuck"] == 0, result.notes
    assert counts["lost_likes"] == 0, result.notes
