"""The one gate: nothing reaches Instagram while it says no."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest
from custom_components.ig_autoliker.engine.clock import HOUR
from custom_components.ig_autoliker.engine.engine import (
    BLOCKED,
    PAUSED,
    SLEEPING,
    rate_limit_state,
)
from custom_components.ig_autoliker.engine.events import (
    Blocked,
    HealthChanged,
    Liked,
    SessionHealth,
)
from custom_components.ig_autoliker.engine.exceptions import (
    ChallengeRequired,
    FeedbackRequired,
    PleaseWait,
    RateLimited,
    Refused,
)
from custom_components.ig_autoliker.engine.models import Target
from custom_components.ig_autoliker.engine.pacer import CycleStop
from custom_components.ig_autoliker.engine.safety import (
    Act,
    BlockKind,
    FreezeScope,
    Refusal,
    RefusalReason,
    SafetySettings,
)
from custom_components.ig_autoliker.engine.state import StoredData

from .fakes import ANY_HOUR, START, FakeClient, FakeTime, Rig, make_rig

BERLIN = ZoneInfo("Europe/Berlin")
#: Instagram's wording without a date (instagrapi's best-practices page).
RESTRICTED = "We restrict certain activity to protect our community."


def one_target(
    time: FakeTime, settings: SafetySettings = ANY_HOUR, tz: tzinfo = UTC
) -> Rig:
    """anna with one story and three posts, and an engine liking her."""
    client = FakeClient(time)
    client.add(
        "11",
        "anna",
        stories=[time.now - HOUR],
        posts=[time.now - 3 * HOUR, time.now - 2 * HOUR, time.now - HOUR],
    )
    return make_rig(time, client, [Target("11", "anna")], settings=settings, tz=tz)


async def test_paused_sends_nothing() -> None:
    """Auto-like off: a cycle sends nothing (a keep-alive still may); on: it likes."""
    rig = one_target(FakeTime())
    rig.engine.stored.auto_like = False

    assert rig.engine.refusal(Act.CYCLE) == Refusal(RefusalReason.PAUSED)
    assert await rig.engine.async_cycle() is False
    assert await rig.engine.async_keep_alive(0.0) is True, "a pause is not a block"

    assert [c.method for c in rig.client.log] == ["keep_alive"]
    assert not rig.of(Liked)
    assert rate_limit_state(rig.engine) == PAUSED

    rig.engine.stored.auto_like = True
    assert await rig.next_cycle() is True
    assert len(rig.client.likes()) == 4


async def test_outside_the_active_hours_nothing_is_sent_until_they_start() -> None:
    """03:00 in Berlin with active hours 08-23: asleep until 08:00, then liking."""
    time = FakeTime(datetime(2026, 1, 6, 3, tzinfo=BERLIN).timestamp())
    settings = SafetySettings(warmup_days=0, active_start=8, active_end=23)
    rig = one_target(time, settings=settings, tz=BERLIN)
    opening = datetime(2026, 1, 6, 8, tzinfo=BERLIN).timestamp()

    assert rig.engine.refusal(Act.CYCLE) == Refusal(RefusalReason.SLEEPING, opening)
    assert rig.engine.refusal(Act.KEEP_ALIVE) == Refusal(
        RefusalReason.SLEEPING, opening
    )
    assert await rig.engine.async_cycle() is False
    assert await rig.engine.async_keep_alive(0.0) is False
    assert rig.client.log == []
    assert rate_limit_state(rig.engine) == SLEEPING
    # The schedule points at the morning, not at the next interval.
    assert opening <= rig.engine.next_cycle_at <= opening + 0.1 * HOUR

    time.now = opening
    assert rig.engine.refusal(Act.CYCLE) is None
    assert await rig.engine.async_cycle() is True
    assert len(rig.client.likes()) == 3  # the per-target cap of the defaults
    assert all(call.at >= opening for call in rig.client.log)


async def test_no_like_goes_out_after_the_active_hours_end() -> None:
    """A cycle starting 10 s before 23:00 reads, but sends no like past 23:00."""
    end = datetime(2026, 1, 6, 23, tzinfo=BERLIN).timestamp()
    time = FakeTime(end - 10)
    settings = SafetySettings(warmup_days=0, active_start=8, active_end=23)
    rig = one_target(time, settings=settings, tz=BERLIN)

    assert await rig.engine.async_cycle() is True

    assert all(call.at < end for call in rig.client.log)
    assert len(rig.client.likes()) < 4, "the likes that would end after 23:00 wait"
    time.now = end
    assert rig.engine.refusal(Act.CYCLE) == Refusal(
        RefusalReason.SLEEPING, datetime(2026, 1, 7, 8, tzinfo=BERLIN).timestamp()
    )


async def test_feedback_required_freezes_likes_until_the_freeze_ends() -> None:
    """The refused like starts a 12 h freeze; no like before its end, then again."""
    time = FakeTime()
    settings = SafetySettings(
        feedback_freeze=12 * HOUR, warmup_days=0, active_start=0, active_end=24
    )
    rig = one_target(time, settings=settings)
    client, engine = rig.client, rig.engine
    client.fail("like_post", FeedbackRequired("feedback_required", RESTRICTED))

    assert await engine.async_cycle() is True

    # The story, then the oldest post (refused): the cycle stops there.
    assert client.likes() == ["11001", "11002"]
    refused = client.calls("like_post")[0]
    assert refused.error == "FeedbackRequired"
    [blocked] = rig.of(Blocked)
    freeze = blocked.freeze
    assert (freeze.kind, freeze.scope, freeze.message) == (
        BlockKind.FEEDBACK_REQUIRED,
        FreezeScope.LIKES,
        RESTRICTED,
    )
    assert freeze.until == refused.at + 12 * HOUR
    assert [e.media_pk for e in rig.of(Liked)] == ["11001"]
    assert "11002" not in engine.stored.liked_posts
    assert engine.refusal(Act.CYCLE) == Refusal(RefusalReason.FROZEN, freeze.until)
    assert rate_limit_state(engine) == BLOCKED

    # Hourly cycles through the freeze: not one request of a cycle.
    sent = len(client.log)
    skipped = 0
    while engine.next_cycle_at < freeze.until:
        assert await rig.next_cycle() is False
        skipped += 1
    assert skipped >= 10
    assert client.log[sent:] == []

    assert await rig.next_cycle() is True
    assert time.now >= freeze.until
    assert client.likes() == ["11001", "11002", "11002", "11012", "11022"]
    assert all(call.error is None for call in client.log[sent:])
    assert [e.media_pk for e in rig.of(Liked)] == ["11001", "11002", "11012", "11022"]
    assert engine.refusal(Act.CYCLE) is None


async def test_a_freeze_outlives_a_restart() -> None:
    """An engine rebuilt from the saved state (restore_limits) is frozen as well."""
    time = FakeTime()
    rig = one_target(time)
    rig.client.fail("like_post", FeedbackRequired("feedback_required", RESTRICTED))
    await rig.engine.async_cycle()
    [blocked] = rig.of(Blocked)
    saved = json.loads(json.dumps(rig.engine.state_to_save().as_dict()))

    time.now += HOUR
    again = make_rig(
        time, rig.client, rig.targets, stored=StoredData.from_dict(saved), restore=True
    )
    sent = len(rig.client.log)

    assert again.engine.refusal(Act.CYCLE) == Refusal(
        RefusalReason.FROZEN, blocked.freeze.until
    )
    assert await again.engine.async_cycle() is False
    assert rig.client.log[sent:] == []


@pytest.mark.parametrize(
    ("error", "reason", "wait"),
    [
        (PleaseWait("Please wait a few minutes", None, "Please wait"), "frozen", HOUR),
        (RateLimited("429", retry_after=600.0), "frozen", 600.0),
    ],
)
async def test_a_lookup_is_refused_while_every_request_waits(
    error: Exception, reason: str, wait: float
) -> None:
    """A "Please wait" freeze or a 429 backoff refuses the user's lookup at once."""
    time = FakeTime()
    rig = one_target(time)
    rig.client.fail("user_stories", error)
    assert await rig.engine.async_cycle() is True
    [failed] = rig.client.log
    sent = len(rig.client.log)

    with pytest.raises(Refused) as refused:
        await rig.engine.async_resolve_target("anna")

    assert refused.value.reason == reason
    assert refused.value.until == pytest.approx(failed.at + wait)
    assert rig.client.log[sent:] == []


async def test_a_lookup_goes_through_while_paused_or_asleep() -> None:
    """Pause and night stop liking, not a lookup the user asked for (one request)."""
    time = FakeTime(datetime(2026, 1, 6, 3, tzinfo=BERLIN).timestamp())
    settings = SafetySettings(warmup_days=0, active_start=8, active_end=23)
    rig = one_target(time, settings=settings, tz=BERLIN)
    rig.engine.stored.auto_like = False

    user = await rig.engine.async_resolve_target("anna")

    assert user.pk == "11"
    assert [(c.method, c.arg) for c in rig.client.log] == [("resolve_username", "anna")]


async def test_a_challenge_stops_everything_until_the_user_logs_in() -> None:
    """A checkpoint on a like: health challenge, the gate waits for the user."""
    time = FakeTime()
    rig = one_target(time)
    client, engine = rig.client, rig.engine
    client.fail("like_post", ChallengeRequired("challenge_required", native=True))

    with pytest.raises(ChallengeRequired):
        await engine.async_cycle()

    assert client.log[-1].method == "like_post"
    assert client.log[-1].error == "ChallengeRequired"
    assert HealthChanged(SessionHealth.CHALLENGE_REQUIRED, native=True) in rig.events
    assert engine.session.health is SessionHealth.CHALLENGE_REQUIRED
    refusal = engine.refusal(Act.CYCLE)
    assert refusal == Refusal(RefusalReason.REAUTH_REQUIRED)
    assert refusal is not None
    assert refusal.waits_for_user
    sent = len(client.log)

    # A day of schedule, keep-alives and lookups: nothing reaches Instagram.
    for _ in range(24):
        assert await rig.next_cycle() is False
        assert await engine.async_keep_alive(0.0) is False
        with pytest.raises(Refused) as refused:
            await engine.async_resolve_target("anna")
        assert (refused.value.reason, refused.value.until) == ("reauth_required", None)
    assert client.log[sent:] == []
    assert "11002" not in engine.stored.liked_posts

    # The user passed the checkpoint; the entry logs in again.
    reported = len(rig.events)
    await engine.async_login()
    assert HealthChanged(SessionHealth.HEALTHY) in rig.events[reported:]
    assert engine.refusal(Act.CYCLE) is None
    assert await rig.next_cycle() is True
    assert client.log[sent].method == "login"
    assert client.likes().count("11002") == 2  # refused once, then liked
    assert "11002" in engine.stored.liked_posts


async def test_a_like_over_the_warm_up_limit_is_refused_whoever_sends_it() -> None:
    """A caller that skips the planner cannot like past the warm-up's 10 an hour.

    The configured limit is 40 an hour; a new account warms up at 25 % of it. The
    like itself asks the gate, so the eleventh like stops (CycleStop) unsent.
    """
    time = FakeTime()
    client = FakeClient(time)
    client.add("11", "anna", posts=[time.now - (n + 1) * 60 for n in range(15)])
    settings = replace(ANY_HOUR, warmup_days=7)
    rig = make_rig(
        time, client, [Target("11", "anna")], settings=settings, restore=True
    )
    media = rig.engine.media
    warm = rig.engine.policy.effective_limits(rig.engine.limiter.limits)
    assert (rig.engine.limiter.limits.max_likes_per_hour, warm.max_likes_per_hour) == (
        40,
        10,
    )

    sent: list[str] = []
    for item in client.accounts["11"].posts:
        try:
            await media.async_like(rig.targets[0], item)
        except CycleStop:
            continue
        sent.append(item.pk)

    assert len(sent) == 10
    assert client.likes() == sent, "the five over the limit never reached Instagram"
    assert time.now - START < HOUR, "all within the hour the limit counts"
    refusal = rig.engine.refusal(Act.LIKE)
    assert refusal is not None
    assert refusal.reason is RefusalReason.LIKE_LIMIT
    assert refusal.until == pytest.approx(client.calls("like_post")[0].at + HOUR)
