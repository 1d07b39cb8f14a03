"""The simulated week replays alike: one seed, the same requests and likes every run.

`scripts/benchmark --simulate` judges the fair share at 400 targets by one media of
one target; a figure that moved from run to run (a start at today's midnight, an
OS-seeded jitter) could not tell a better rule from luck. The harness starts at a
fixed instant and seeds the engine's jitter (`seeded_jitter`).
"""

from __future__ import annotations

from tests.bench.run import SAFETY_PACING_OFF
from tests.bench.sim import SimConfig, simulate


def test_a_simulated_day_sends_instagram_the_same_likes_at_the_same_times(
    socket_enabled: None,
) -> None:
    config = SimConfig(targets=3, days=1.0, options=dict(SAFETY_PACING_OFF))

    first, second = simulate(config), simulate(config)

    likes = [(like.media_pk, like.at) for like in first.world.likes]
    assert len(likes) >= 10
    assert likes == [(like.media_pk, like.at) for like in second.world.likes]
    requests = [(r.endpoint, r.at) for r in first.world.requests()]
    assert requests == [(r.endpoint, r.at) for r in second.world.requests()]
