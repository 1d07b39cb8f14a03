"""The liking engine of one Instagram account: cycles, new-target checks, keep-alive.

It owns the account's rate limiter, safety policy, session, pacer and media service,
asks the one gate (`refusal`) before anything reaches Instagram, and lets the
planner choose each step of a cycle. Every wait is the injected `sleep`, every
client call an injected job; a cycle can be cancelled at any await: the call in
flight completes and its like is recorded (spec QS-04).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from typing import TYPE_CHECKING, Any, Final

from .events import Changed, Progress, SessionHealth
from .exceptions import (
    FeedbackRequired,
    RateLimited,
)
from .follow_pass import REELS_BATCH, FollowPass
from .media import MediaService, still_unliked
from .pacer import CycleStop, Pacer
from .planner import STORY_CHECK, CyclePlanner, Policy, StepKind, TargetView
from .ratelimit import Action, LimitState, RateLimiter
from .safety import Act, FreezeScope, RefusalReason, SafetyPolicy
from .session import SessionManager
from .steps import StepRunner

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import tzinfo

    from .client import InstagramClient
    from .clock import Clock, Sleep
    from .events import Listener
    from .media import Persist, RecallPosts
    from .models import MediaItem, Target, TargetUser
    from .ratelimit import Limits
    from .safety import Refusal, SafetySettings
    from .session import JobRunner
    from .state import StoredData

_LOGGER = logging.getLogger(__name__)

#: Least seconds between two cycles (and before a busy refresh tries again).
MIN_CYCLE_GAP: Final = 60.0
#: The "Rate-limit state" values beyond the limiter's own.
PAUSED: Final = "paused"
BLOCKED: Final = "blocked"
SLEEPING: Final = "sleeping"
#: "OK", at the warm-up's reduced like limits (`SafetyPolicy.effective_limits`).
WARMING_UP: Final = "warming_up"
RATE_LIMIT_STATES: Final = [
    *(s.value for s in LimitState),
    PAUSED,
    BLOCKED,
    SLEEPING,
    WARMING_UP,
]


def restore_limits(  # noqa: PLR0913 - the state, the options and the environment
    stored: StoredData,
    limits: Limits,
    settings: SafetySettings,
    *,
    clock: Clock,
    tz: tzinfo,
    rng: random.Random | None = None,
) -> tuple[RateLimiter, SafetyPolicy]:
    """Restore the account's rate limiter and safety policy from its stored state.

    The like windows (hourly and daily) and the hourly story-view window hold
    every like of ours the store knows: the saved windows, merged with the like
    ledger and the likes sent whose answer is not known (`StoredData.own_likes`,
    each like counted once). Each like is on disk before it is sent
    (`MediaService`), so a hard kill before the next save loses none of them;
    the ledger also covers saved windows that were damaged. Media the ledger
    took in without a like of ours (found liked, recalled from the history) are
    not counted.

    The request window and the backoff come from the saved limiter only: no
    other record of the requests exists, and writing one per request would cost
    a disk write each. A hard kill can thus forget the requests of the few
    seconds before it (a change is written within the store's `SAVE_DELAY`,
    10 s); the restart's login counts anew.

    Args:
        stored: The account state (`limiter`, `policy` and the ledger parts;
            bad data is dropped, never raised on).
        limits: The limits of the options now.
        settings: The safety settings of the options now.
        clock: Unix seconds.
        tz: The time zone of the active hours.
        rng: Source of the jitter of the limiter's pauses (default: OS-seeded).

    Returns:
        The limiter and the policy. An account with nothing stored yet (first
        setup) starts its warm-up now (spec: new accounts like less at first).

    """
    likes, story_views = stored.own_likes(clock())
    known = {Action.LIKE: likes, Action.STORY_VIEW: story_views}
    limiter = RateLimiter.from_dict(
        stored.limiter, limits, clock=clock, rng=rng, known=known
    )
    new_account = not stored.policy and stored.last_cycle is None
    policy = SafetyPolicy.from_dict(
        stored.policy or None,
        settings,
        clock,
        tz,
        warmup_from=clock() if new_account else None,
    )
    return limiter, policy


def rate_limit_state(engine: Engine) -> str:
    """Return the "Rate-limit state": blocked, paused, sleeping or the limiter's.

    The limiter's "ok" reads "warming_up" while the warm-up holds the like limits
    below the configured ones: the user sees why fewer likes go out.
    """
    if engine.policy.blocked_until is not None:
        return BLOCKED
    if not engine.stored.auto_like:
        return PAUSED
    if engine.policy.sleeping():
        return SLEEPING
    state = engine.limiter.state()
    if state is LimitState.OK and engine.policy.warmup_fraction() < 1.0:
        return WARMING_UP
    return state.value


def target_view(stored: StoredData, target: Target) -> TargetView:
    """Return what the planner sees of `target`: its switches and bookkeeping."""
    state = stored.target(target.pk)
    return TargetView(
        pk=target.pk,
        like_stories=target.like_stories,
        like_posts=target.like_posts,
        followed=state.followed,
        followed_checked=state.followed_checked,
        last_story_check=state.last_story_check,
        last_post_check=state.last_post_check,
        latest_reel_media=state.latest_reel_media,
        fair_liked=state.fair_liked,
        fair_seen=state.fair_seen,
    )


def _follow_pass(engine: Engine, clock: Clock, sleep: Sleep) -> FollowPass:
    """Build the engine's follow pass, with its gate, limits and budget."""
    return FollowPass(
        engine.client,
        engine.pacer,
        engine.stored,
        engine.media,
        limiter=engine.limiter,
        constraints=engine.planner_constraints,
        refusal=engine.refusal,
        clock=clock,
        sleep=sleep,
    )


class Engine:
    """Runs the liking of one account within its limits and safety policy.

    Args:
        client: The blocking Instagram client.
        stored: The account state (restored by the owner, saved on `Changed`).
        limiter: The rate limiter (restored from `stored.limiter`).
        policy: The safety policy (restored from `stored.policy`).
        targets: Returns the configured targets, in the order they were added.
        clock: Unix seconds.
        sleep: Waits, seconds.
        jobs: Runs the client's blocking calls.
        recall_posts: Brings posts liked long ago back from the like history.
        persist: Writes `state_to_save()` now; a like is sent only once it has.
        listener: Receives every engine event.
        interval: Cycle interval, seconds: how often every feed is read;  the
            tray is read every `run_interval` (`story_check` at most).
        rng: Source of the jitter of cycle starts.
        story_check: Longest time between two reads of the tray, seconds.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        client: InstagramClient,
        stored: StoredData,
        limiter: RateLimiter,
        policy: SafetyPolicy,
        *,
        targets: Callable[[], list[Any]],
        clock: Clock,
        sleep: Sleep,
        jobs: JobRunner,
        recall_posts: RecallPosts,
        persist: Persist,
        listener: Listener,
        interval: float,
        rng: random.Random | None = None,
        story_check: float = STORY_CHECK,
    ) -> None:
        """Wire the building blocks; no request is sent until `async_login`."""
        self.stored = stored
        self.limiter = limiter
        self.policy = policy
        self._targets = targets
        self._clock = clock
        self._sleep = sleep
        self._notify = listener
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.interval = interval
        self.session = SessionManager(
            client,
            stored,
            limiter,
            clock=clock,
            sleep=sleep,
            jobs=jobs,
            listener=listener,
            on_throttled=self._throttled,
        )
        self.pacer = Pacer(
            self.session,
            limiter,
            policy,
            refusal=self.refusal,
            clock=clock,
            sleep=sleep,
            listener=listener,
        )
        self.media = MediaService(
            client,
            self.pacer,
            stored,
            limiter,
            policy,
            refusal=self.refusal,
            recall_posts=recall_posts,
            persist=persist,
            clock=clock,
            sleep=sleep,
            listener=listener,
        )
        self.client = client
        self.follow = _follow_pass(self, clock, sleep)
        self.steps = StepRunner(
            client, self.pacer, stored, self.media, clock=clock, listener=listener
        )
        #: New targets not checked yet because the gate said no (pks).
        self.unchecked: set[str] = set()
        #: Seconds between two cycles: each reads the tray, the feeds are read
        #: once per `interval`.
        self.run_interval = min(interval, story_check)
        #: Unix seconds when the next regular cycle is due.
        self.next_cycle_at = (
            clock()
            if stored.last_cycle is None
            else max(clock(), stored.last_cycle + self.run_interval)
        )
        #: What the safety policy imposes on the planner (`planner_policy()`).
        self.planner_policy = Policy()
        #: Items the last regular cycle fetched and left unliked (in memory: after
        #: a restart the tray and the polls show them again).
        self._carried: list[MediaItem] = []
        self._lock = asyncio.Lock()
        self.task: asyncio.Task[Any] | None = None

    def _throttled(
        self, err: RateLimited | FeedbackRequired, cycle: str | None
    ) -> None:
        """Start the backoff or freeze throttling in the session calls for."""
        self.pacer.throttled(err, cycle)

    # -- the gate ------------------------------------------------------------------

    def refusal(self, act: Act, within: float = 0.0) -> Refusal | None:
        """Ask the safety policy whether `act` may happen now (THE gate)."""
        return self.policy.refusal(
            act,
            session_blocked=self.session.blocked,
            suspended=self.session.health is SessionHealth.SUSPENDED,
            auto_like=self.stored.auto_like,
            backoff_until=self.limiter.backoff_until,
            within=within,
            likes=self.limiter,
        )

    @property
    def busy(self) -> bool:
        """True while a cycle or a check of new targets runs."""
        return self._lock.locked()

    def state_to_save(self) -> StoredData:
        """Return the account state with the limiter's and the policy's as now."""
        self.stored.limiter = self.limiter.as_dict()
        self.stored.policy = self.policy.as_dict()
        return self.stored

    # -- sessions ------------------------------------------------------------------

    async def async_login(self) -> None:
        """Log in with the stored session (one validation request).

        Raises:
            RateLimited: A freeze or backoff is in force: no request is sent.
            IgAutolikerError: As `SessionManager.async_login`.

        """
        refusal = self.refusal(Act.REQUEST)
        if refusal is not None and refusal.reason is RefusalReason.FROZEN:
            # Setup retries come every few seconds; each could extend the block.
            msg = "Instagram asked the account to wait"
            assert refusal.until is not None  # noqa: S101 - a freeze ends
            raise RateLimited(msg, retry_after=refusal.until - self._clock())
        await self.session.async_login()

    async def async_keep_alive(self, interval: float) -> bool:
        """Touch the session after `interval` idle seconds (spec 8.3); True if sent."""
        if self.busy or self.refusal(Act.KEEP_ALIVE) is not None:
            return False
        return await self.session.async_keep_alive(
            interval, self.stored.last_cycle or 0.0
        )

    async def async_resolve_target(self, username: str) -> TargetUser:
        """Resolve a username to its pk for a new target (one request).

        Raises:
            Refused: The gate says no (the session waits for the user, a freeze).
            RateLimited: The request budget has no room (`retry_after`).
            IgAutolikerError: As the client's `resolve_username`.

        """
        if (refusal := self.refusal(Act.REQUEST)) is not None:
            raise refusal.error()
        if not self.limiter.allows(Action.REQUEST, 2):
            raise RateLimited(
                retry_after=self.limiter.seconds_until_allowed(Action.REQUEST, 2)
            )
        self.session.record_request()
        target = await self.session.jobs.run(self.client.resolve_username, username)
        self._notify(Changed())
        return target

    # -- cycles --------------------------------------------------------------------

    async def async_cycle(self) -> bool | None:
        """Run one regular cycle (the schedule, the button, the action).

        Returns:
            True after a cycle that ran, False when the gate skipped it, None when
            another run holds the lock (try again later).

        Raises:
            IgAutolikerError: The session failed or needs the user.

        """
        if self.busy:
            return None
        async with self._lock:
            self.task = asyncio.current_task()
            interrupted = False
            try:
                now = self._clock()
                # Before its time it was asked for (the button, the action): it
                # reads every feed, not only those due.
                poll = self.run_interval if now < self.next_cycle_at - 1.0 else None
                # Not on the same minute every hour, and never into the night.
                self.next_cycle_at = now + self.policy.next_cycle_delay(
                    self.run_interval, self._rng
                )
                if purged := self.stored.purge_stories(now):
                    _LOGGER.debug("Forgot %s stories liked over 24 h ago", purged)
                if self.refusal(Act.CYCLE) is not None:
                    return False
                self.unchecked.clear()  # a cycle visits every target
                await self._async_run(now, self.run_interval, None, poll)
                if self._follow_due(now):
                    # Follow mode keeps its hourly pass and waits within it for
                    # the like windows, as with hourly cycles.
                    await self.follow.async_run(
                        self.policy.settings,
                        self._targets(),
                        until=max(self.next_cycle_at, now + self.interval),
                    )
                await self.session.async_refresh()
                self.session.good_cycle()
            except asyncio.CancelledError:
                # Not a finished cycle: after a restart the rest goes on at once.
                interrupted = True
                raise
            else:
                return True
            finally:
                self.task = None
                if not interrupted:
                    self.stored.last_cycle = self._clock()
                self._notify(Changed())

    def _follow_due(self, now: float) -> bool:
        """Follow mode reads its feeds once per cycle interval, not per tray read."""
        last = self.stored.follow_pass
        return (
            self.run_interval >= self.interval
            or last is None
            or last + self.interval - self.run_interval / 2 <= now
        )

    async def async_check_targets(self, pks: frozenset[str]) -> None:
        """Fetch the feeds of new targets once and like what is new, within limits.

        Runs under the cycle lock and leaves the regular schedule alone. While
        another run holds the lock or the gate refuses a cycle, the targets wait
        in `unchecked` for the next call (or the next cycle, which visits all).

        Raises:
            IgAutolikerError: The session failed or needs the user.

        """
        self.unchecked |= pks
        if self.busy or not self.unchecked:
            return
        try:
            async with self._lock:
                self.task = asyncio.current_task()
                try:
                    if self.refusal(Act.CYCLE) is not None:
                        return  # checked once the gate allows (`unchecked`)
                    focus, now = frozenset(self.unchecked), self._clock()
                    self.unchecked.clear()
                    interval = max(MIN_CYCLE_GAP, self.next_cycle_at - now)
                    await self._async_run(now, interval, focus=focus)
                finally:
                    self.task = None
                    self._notify(Changed())
        finally:
            # The lock is free only now (`busy`): "Cycle running" turns off at the
            # check's end. A cycle's end is shown by the coordinator's refresh.
            self._notify(Progress())

    async def _async_run(
        self,
        started: float,
        interval: float,
        focus: frozenset[str] | None,
        poll_interval: float | None = None,
    ) -> None:
        """Execute the planner's steps; a limit or backoff ends the run early."""
        self.pacer.cycle_id = secrets.token_hex(4)
        _LOGGER.debug("Run %s starts (focus %s)", self.pacer.cycle_id, focus)
        self._notify(Progress())  # "Cycle running" turns on
        planner = CyclePlanner(
            self.limiter,
            started=started,
            interval=interval,
            policy=self.planner_constraints(),
            focus=focus,
            story_batch=REELS_BATCH,
            poll_interval=poll_interval or self.interval,
            carried=(
                still_unliked(self.stored, self.media.watch, self._carried)
                if focus is None
                else ()
            ),
        )
        previous: str | None = None
        try:
            while True:
                targets = {t.pk: t for t in self._targets() if t.enabled}
                if not self.policy.settings.follow.targets:
                    targets = {}  # follow mode alone: the targets rest
                planner.policy = self.planner_constraints()  # a like may start warm-up
                views = [target_view(self.stored, t) for t in targets.values()]
                step = planner.next_step(views, self._clock())
                if step.kind is StepKind.DONE:
                    return
                if step.kind is StepKind.WAIT:
                    await self._sleep(step.seconds)
                    continue
                if step.target_pk is not None and step.target_pk != previous:
                    if previous is not None:
                        await self._sleep(self.limiter.account_delay())
                        self._notify(Progress(previous))
                    previous = step.target_pk
                await self.steps.async_step(planner, step, targets)
        except CycleStop:
            pass
        finally:
            if focus is None:
                self._carried = planner.leftover(self._clock())
            self._notify(Progress(previous))

    def planner_constraints(self) -> Policy:
        """Return the safety policy's constraints for the planner, as they are now."""
        effective = self.policy.effective_limits(self.limiter.limits)
        self.planner_policy = Policy(
            requests_frozen_until=self.policy.frozen_until(FreezeScope.ALL),
            likes_frozen_until=self.policy.frozen_until(FreezeScope.LIKES),
            max_likes_per_hour=effective.max_likes_per_hour,
            max_likes_per_day=effective.max_likes_per_day,
            max_likes_per_target=self.policy.settings.max_likes_per_target_cycle,
            like_check_requests=self.media.watch.check_requests(),
        )
        return self.planner_policy

    async def async_shutdown(self) -> None:
        """Cancel the run in flight and wait for the client call it started."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.wait([self.task])
        await self.session.jobs.wait()
