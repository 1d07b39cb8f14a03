"""
A chaos day: random faults, kills and restarts; what Instagram received is checked.

The harness of `scripts/benchmark --chaos` (tests/bench/chaos.py) for one simulated
day with a fixed seed: the real integration against the emulator, restarted over
its files on disk after graceful stops, hard kills and torn store writes. The
auditor (tests/bench/audit.py) reads Instagram's side: no media got a second like
request, no sliding hour or day passed the limits, no like was sent in a freeze,
nothing stayed wrong after its cause ended. Lost likes are not asserted: a torn
store file still loses its like ledger (README, "Benchmarks", chaos).
"""

from __future__ import annotations

import asyncio

from tests.bench.chaos import Chaos

#: A seed whose day has every kind of stop, a fault mix and a reauthentication.
SEED = 2


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
