"""
The liking cycle: one coordinator per Instagram account (config entry).

Every cycle interval the coordinator visits each enabled target in turn, with a
jittered pause between accounts: it fetches the target's stories and recent posts and
likes, oldest first, what is liked neither in the store nor on Instagram. The rate
limiter decides before every request; when a limit is reached, liking stops and the
rest waits for later cycles (spec QS-01). `safety.py` adds what keeps the account
safe (issue 10) through the planner's `Policy` and a few checks here: no cycle
outside the active hours or during a freeze, jittered cycle starts, like limits
scaled by the warm-up, at most K likes per target and cycle, and a new target's
earlier posts baselined instead of liked. The session (login, relogin, challenge,
keep-alive) is `session.py`'s `SessionManager`, which the coordinator owns.

Every instagrapi call is an executor job and every wait is `asyncio.sleep` on the event
loop. A cycle can be cancelled at any await (unload, Home Assistant stop): the call in
flight completes and its like is recorded, then the store and session are saved
(spec QS-04).
"""

from __future__ import annotations

import asyncio
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from . import activity
from .const import (
    CONF_BACKLOG_POSTS,
    CONF_CYCLE_INTERVAL,
    CONF_ENABLED,
    CONF_KEEP_ALIVE,
    CONF_LIKE_CURRENT_STORIES,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_TARGET_PK,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_LIKED,
    LOGGER,
    NETWORK_TRIES,
    SUBENTRY_TYPE_TARGET,
)
from .engine.exceptions import (
    AccountSuspended,
    CannotConnect,
    ChallengeRequired,
    ClientOutdated,
    FeedbackRequired,
    IpBlocked,
    PleaseWait,
    RateLimited,
    SessionExpired,
    TargetNotFound,
    TargetPrivate,
)
from .engine.models import MediaItem, MediaKind, TargetUser
from .engine.planner import (
    SINGLE_REQUEST,
    STORY_LIKE_REQUESTS,
    CyclePlanner,
    Policy,
    Step,
    StepKind,
    TargetView,
)
from .engine.ratelimit import Action, Limits, LimitState, RateLimiter
from .engine.safety import FreezeScope, baseline_cutoff
from .guard import BLOCKED, SLEEPING, SafetyGuard
from .publish import ListenerGroups
from .session import SessionHealth, SessionManager

if TYPE_CHECKING:
    from collections.abc import Callable

    from .engine.client import InstagramClient
    from .store import IgAutolikerStore, StoredData, TargetState

type IgAutolikerConfigEntry = ConfigEntry[IgAutolikerCoordinator]


#: The "Rate-limit state" sensor: the limiter's states plus "paused" (Auto-like off),
#: "blocked" (an action-block freeze) and "sleeping" (outside the active hours).
RATE_LIMIT_STATES = [
    *(state.value for state in LimitState),
    "paused",
    BLOCKED,
    SLEEPING,
]


@dataclass(frozen=True, slots=True)
class Target:
    """A target subentry as the cycle sees it."""

    subentry_id: str
    pk: str
    username: str
    enabled: bool
    like_stories: bool
    like_posts: bool
    #: Older posts to like when added; None for a target from before baselining.
    backlog_posts: int | None = None
    like_current_stories: bool = True


@dataclass(frozen=True, slots=True)
class TargetSnapshot:
    """What the entities of one target device show."""

    last_like: datetime | None
    stories_liked: int
    posts_liked: int
    error: str | None
    #: Preview image of the last liked item (this run only; CDN URLs expire).
    last_thumbnail: str | None = None


@dataclass(frozen=True, slots=True)
class IgAutolikerData:
    """What the entities of the account device show, plus every target's snapshot."""

    likes_today: int
    likes_this_hour: int
    rate_limit_state: str
    session_health: SessionHealth
    last_cycle: datetime | None
    next_cycle: datetime | None
    backoff_until: datetime | None
    auto_like: bool
    targets: dict[str, TargetSnapshot]
    cycle_running: bool = False
    blocked_until: datetime | None = None
    effective_likes_per_hour: int | None = None
    effective_likes_per_day: int | None = None

    @property
    def challenge_required(self) -> bool:
        """True while Instagram waits for the user to pass a checkpoint."""
        return self.session_health is SessionHealth.CHALLENGE_REQUIRED


#: Seconds before a refresh that found the cycle lock taken tries again.
BUSY_RETRY = 60.0


class _CycleStop(Exception):
    """Stops the current cycle early; the rest waits for the next cycle."""


def _ts(value: float | None) -> datetime | None:
    """Convert Unix seconds to an aware UTC datetime (None stays None)."""
    return None if value is None else dt_util.utc_from_timestamp(value)


class IgAutolikerCoordinator(DataUpdateCoordinator[IgAutolikerData]):
    """
    Runs the liking cycles of one Instagram account and owns its stored state.

    Args:
        hass: Home Assistant.
        entry: The account's config entry (its subentries are the targets).
        api: The blocking adapter, already built from the entry's credentials.
        store: The entry's store; `stored` is what was loaded from it.

    """

    config_entry: IgAutolikerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IgAutolikerConfigEntry,
        api: InstagramClient,
        store: IgAutolikerStore,
        stored: StoredData,
    ) -> None:
        """Set the coordinator up; no request is sent until `async_login`."""
        options = {**DEFAULT_OPTIONS, **entry.options}
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(minutes=float(options[CONF_CYCLE_INTERVAL])),
        )
        self.api = api
        self.store = store
        self.stored = stored
        store.clock = self._now
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self.safety = SafetyGuard(
            hass,
            entry,
            stored,
            clock=self.clock,
            on_change=self._schedule_save,
            on_publish=self._publish_if_shown,
        )
        self.limiter = RateLimiter.from_dict(
            stored.limiter, Limits.from_options(options), clock=self._now, rng=self._rng
        )
        #: Device models in Home Assistant's language (entity.async_device_models).
        self.device_models: dict[str, str] = {}
        #: Target pk -> preview URL of its last liked item, from the feed answer.
        self.last_thumbnails: dict[str, str] = {}
        self.session = SessionManager(
            hass,
            entry,
            api,
            stored,
            self.limiter,
            clock=self.clock,
            sleep=self._pause,
            on_change=self._schedule_save,
            on_publish=self._publish_if_shown,
            on_throttled=self._throttled,
        )
        #: Cycle interval, seconds; cycles are planned from their start times.
        self.interval = float(options[CONF_CYCLE_INTERVAL]) * 60
        #: What the safety policy imposes on the planner (`_policy()` refreshes it).
        self.policy = Policy()
        #: Unix seconds when the next regular cycle is due.
        self.next_cycle_at = (
            self._now()
            if stored.last_cycle is None
            else max(self._now(), stored.last_cycle + self.interval)
        )
        self.cycle_id: str | None = None
        #: Entities updated by mid-cycle progress (publish.py).
        self.listeners = ListenerGroups()
        #: What each target's entities were last written from (publish.py).
        self._shown: dict[str, tuple[object, ...]] = {}
        self._targets: tuple[object, list[Target], dict[str, Target]] | None = None
        #: Enabled target pks as last seen: a pk new here gets checked at once.
        self._enabled = {target.pk for target in self.targets if target.enabled}
        self._cycle_lock = asyncio.Lock()
        self._cycle_task: asyncio.Task[Any] | None = None
        self._keep_alive_task: asyncio.Task[None] | None = None
        #: Likes sent whose answer never came (timeout, reset): media pk -> Unix
        #: seconds sent. The next feed's `has_liked` tells; never sent blindly again.
        self._unsure: dict[str, float] = {}
        self.safety.async_update()  # a freeze from before a restart: show it again

    # ----------------------------------------------------------------- state --

    async def _sleep(self, seconds: float) -> None:
        """Wait on the event loop (never in an executor thread)."""
        await asyncio.sleep(seconds)

    async def _pause(self, seconds: float) -> None:
        """`_sleep`, looked up at call time (tests replace it on the class)."""
        await self._sleep(seconds)

    def clock(self) -> float:
        """Return the coordinator's clock in Unix seconds (the limiter's too)."""
        return self._now()

    @staticmethod
    def _now() -> float:
        """Return Unix seconds from Home Assistant's clock (frozen in tests)."""
        return dt_util.utcnow().timestamp()

    @property
    def session_health(self) -> SessionHealth:
        """The session's state, as the "Session health" sensor shows it."""
        return self.session.health

    @property
    def blocked(self) -> bool:
        """True while no request may reach Instagram until the user reauthenticates."""
        return self.session.blocked

    @property
    def targets(self) -> list[Target]:
        """The target subentries of the entry, in the order they were added."""
        return list(self._target_index()[0])

    def target(self, pk: str) -> Target | None:
        """Return the target with `pk` as configured now, or None."""
        return self._target_index()[1].get(pk)

    def _target_index(self) -> tuple[list[Target], dict[str, Target]]:
        """
        Read the targets again only when the subentries changed.

        Every entity asks, and with 200 targets rereading made that quadratic.
        Home Assistant replaces `subentries` when one is added or removed; a
        changed one signals `async_targets_changed`, which drops the cache.
        """
        subentries = self.config_entry.subentries
        if self._targets is None or self._targets[0] is not subentries:
            targets = self._read_targets()
            self._targets = (subentries, targets, {t.pk: t for t in targets})
        return self._targets[1], self._targets[2]

    def _read_targets(self) -> list[Target]:
        return [
            Target(
                subentry_id=subentry.subentry_id,
                pk=str(subentry.data[CONF_TARGET_PK]),
                username=str(subentry.data[CONF_USERNAME]),
                enabled=bool(subentry.data.get(CONF_ENABLED, True)),
                like_stories=bool(subentry.data.get(CONF_LIKE_STORIES, True)),
                like_posts=bool(subentry.data.get(CONF_LIKE_POSTS, True)),
                backlog_posts=(
                    int(subentry.data[CONF_BACKLOG_POSTS])
                    if CONF_BACKLOG_POSTS in subentry.data
                    else None
                ),
                like_current_stories=bool(
                    subentry.data.get(CONF_LIKE_CURRENT_STORIES, True)
                ),
            )
            for subentry in self.config_entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_TYPE_TARGET
        ]

    def snapshot(self) -> IgAutolikerData:
        """Build what the entities show from the stored state and the limiter."""
        return self._snapshot(
            {
                target.pk: self._target_snapshot(
                    self.stored.target(target.pk), self.last_thumbnails.get(target.pk)
                )
                for target in self.targets
            }
        )

    def _snapshot(self, targets: dict[str, TargetSnapshot]) -> IgAutolikerData:
        """Build the account's part; `targets` are the targets' snapshots."""
        now = self._now()
        midnight = dt_util.start_of_local_day(
            dt_util.as_local(dt_util.utc_from_timestamp(now))
        ).timestamp()
        state = self.safety.rate_limit_state(
            self.limiter.state().value, auto_like=self.stored.auto_like
        )
        effective = self.safety.effective_limits(self.limiter.limits)
        return IgAutolikerData(
            likes_today=self.limiter.count(Action.LIKE, window=now - midnight),
            likes_this_hour=self.limiter.count(Action.LIKE, window=3600.0),
            rate_limit_state=state,
            session_health=self.session_health,
            last_cycle=_ts(self.stored.last_cycle),
            next_cycle=_ts(self.next_cycle_at) if self.stored.auto_like else None,
            backoff_until=_ts(self.limiter.backoff_until),
            auto_like=self.stored.auto_like,
            cycle_running=self._cycle_lock.locked(),
            targets=targets,
            blocked_until=_ts(self.safety.policy.blocked_until),
            effective_likes_per_hour=effective.max_likes_per_hour,
            effective_likes_per_day=effective.max_likes_per_day,
        )

    @staticmethod
    def _target_snapshot(state: TargetState, thumbnail: str | None) -> TargetSnapshot:
        return TargetSnapshot(
            last_like=_ts(state.last_like),
            stories_liked=state.stories_liked,
            posts_liked=state.posts_liked,
            error=state.last_error,
            last_thumbnail=thumbnail,
        )

    @callback
    def async_publish(self) -> None:
        """Update every entity now (a switch, keep-alive, midnight; not mid-cycle)."""
        self.data = self.snapshot()
        self.async_update_listeners()

    @callback
    def async_publish_progress(self, pk: str | None) -> None:
        """
        Mid-cycle progress: update target `pk`'s entities and the changed account ones.

        The full update (every entity) stays once per cycle, at the refresh's end.
        """
        targets = self.data.targets
        if pk is not None and self.target(pk) is not None:
            snapshot = self._target_snapshot(
                self.stored.target(pk), self.last_thumbnails.get(pk)
            )
            targets = {**targets, pk: snapshot}
        self.data = self._snapshot(targets)
        if pk is not None:
            self._notify_target_if_changed(pk)
        self.listeners.notify_account()

    @callback
    def async_update_listeners(self) -> None:
        """Update the account's entities, and each target whose state changed."""
        super().async_update_listeners()
        if self.data is not None:
            for pk in self.data.targets:
                self._notify_target_if_changed(pk)

    @callback
    def _notify_target_if_changed(self, pk: str) -> None:
        """Write target `pk`'s entities when what they show changed."""
        shown = (self.data.targets.get(pk), self.target(pk), self.last_update_success)
        if self._shown.get(pk) != shown:
            self._shown[pk] = shown
            self.listeners.notify_target(pk)

    @callback
    def _publish_if_shown(self) -> None:
        """Show an account-level change (session, safety) once the entities exist."""
        if self.data is not None:
            self.async_publish_progress(None)

    @callback
    def _schedule_save(self) -> None:
        """Have the store written within `SAVE_DELAY` seconds (store.py)."""
        self.store.async_schedule_save(self._prepare_save)

    @callback
    def _prepare_save(self) -> StoredData:
        """Return what to write, with the limiter's windows as they are now."""
        self.stored.limiter = self.limiter.as_dict()
        self.safety.save()
        return self.stored

    async def async_save(self) -> None:
        """Write the store now, with the session as instagrapi holds it."""
        await self.session.async_refresh()
        await self.store.async_save_data(self._prepare_save())

    @callback
    def async_set_auto_like(self, *, enabled: bool) -> None:
        """Pause (False) or resume (True) all liking of this account."""
        self.stored.auto_like = enabled
        self._schedule_save()
        self.async_publish()

    async def async_login(self) -> None:
        """
        Log in with the stored session (one validation request) and save it.

        Raises:
            ConfigEntryAuthFailed: Instagram wants a password, code or checkpoint.
            RateLimited: "Please wait" is in force: no request (setup is retried).
            IgAutolikerError: Network or rate-limit trouble (setup is retried).

        """
        if (until := self.safety.policy.frozen_until(FreezeScope.ALL)) is not None:
            # Setup retries come every few seconds; each could extend the block.
            msg = "Instagram asked the account to wait"
            raise RateLimited(msg, retry_after=until - self._now())
        await self.session.async_login()

    # -------------------------------------------------------------- calls --

    async def _async_pace(self, requests: int) -> None:
        """Wait the jittered request delay, or stop the cycle when over budget."""
        if not self.safety.requests_allowed():
            raise _CycleStop  # "Please wait": not one request before it ends
        if not self.limiter.allows(Action.REQUEST, requests):
            LOGGER.info(
                "Request budget reached in cycle %s; the rest waits for a later cycle",
                self.cycle_id,
            )
            raise _CycleStop
        wait = self.session.last_request_at + self.limiter.request_delay() - self._now()
        if wait > 0:
            await self._sleep(wait)

    @callback
    def _throttled(
        self, err: RateLimited | FeedbackRequired, cycle_id: str | None = None
    ) -> None:
        """
        Do less after Instagram throttled a request, in a cycle or a keep-alive.

        `feedback_required` and "Please wait" freeze (`safety.py`); a plain rate
        limit starts the limiter's backoff (Instagram's Retry-After when given).
        """
        if isinstance(err, (PleaseWait, FeedbackRequired)):
            self.safety.async_blocked(err)
            self._publish_if_shown()
            return
        wait = self.limiter.register_failure(err.retry_after)
        LOGGER.warning(
            "Instagram throttles %s (%s); backing off for %.0f s (cycle %s)",
            self.config_entry.title,
            type(err).__name__,
            wait,
            cycle_id,
        )
        self._schedule_save()
        self._publish_if_shown()

    async def _async_call[T](
        self,
        func: Callable[..., T],
        *args: Any,
        requests: int = SINGLE_REQUEST,
        on_done: Callable[[T], None] | None = None,
        resend: bool = True,
    ) -> T:
        """
        Send one adapter call within budget, with the retries of spec 8.5.

        Network errors are retried exponentially (3 tries) when `resend` allows it
        (reads; never a like whose outcome is unknown), `login_required` after a
        fresh login. A rate limit starts the backoff, `feedback_required` and
        "Please wait" start a freeze (`safety.py`); each stops the cycle. A
        challenge stops everything.

        Raises:
            _CycleStop: Budget reached or backoff started.
            ConfigEntryAuthFailed: Reauthentication or a checkpoint is needed.
            UpdateFailed: The network failed (three times, or once without
                `resend`), or Instagram refused even a fresh session.
            TargetNotFound, TargetPrivate: For the caller to mark the target.

        """
        relogged = False
        for attempt in range(NETWORK_TRIES):
            await self._async_pace(requests)
            self.session.record_request(requests)
            try:
                result = await self.session.async_job(func, *args, on_done=on_done)
            except CannotConnect as err:
                if not resend or attempt + 1 == NETWORK_TRIES:
                    raise self.session.failed(err) from err
                await self._sleep(self.limiter.request_delay() * 2**attempt)
                continue
            except SessionExpired as err:
                if relogged:
                    # Refused right after a fresh login: the password works, so the
                    # user is not asked; this cycle fails, the next one tries again.
                    raise self.session.failed(err) from err
                relogged = True
                if not self.session.relogin_allowed():
                    LOGGER.info(
                        "Relogin waits for request budget; cycle %s ends",
                        self.cycle_id,
                    )
                    raise _CycleStop from err
                try:
                    await self.session.async_relogin(self.cycle_id)
                except (RateLimited, FeedbackRequired) as throttle:
                    self._throttled(throttle, self.cycle_id)
                    raise _CycleStop from throttle
                continue
            except (RateLimited, FeedbackRequired) as err:
                self._throttled(err, self.cycle_id)
                raise _CycleStop from err
            except ChallengeRequired as err:
                raise await self.session.async_challenge(native=err.native) from None
            except (AccountSuspended, IpBlocked, ClientOutdated) as err:
                raise self.session.fatal(err) from err
            self.limiter.register_success()
            return result
        raise self.session.failed(CannotConnect())

    # -------------------------------------------------------------- cycle --

    async def _async_update_data(self) -> IgAutolikerData:
        """Run one cycle (or skip it while paused, blocked or backing off)."""
        if self.session_health is SessionHealth.SUSPENDED:
            # Nothing to reauthenticate: the user deals with it in the app.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="account_suspended",
                translation_placeholders={"username": self.config_entry.title},
            )
        if self.blocked:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="reauth_required",
                translation_placeholders={"username": self.config_entry.title},
            )
        self.safety.async_update()  # ends the issues of freezes that are over
        if self._cycle_lock.locked():
            # A check of new targets is under way: try again in a minute.
            self.update_interval = timedelta(seconds=BUSY_RETRY)
            return self.snapshot()
        async with self._cycle_lock:
            self._cycle_task = asyncio.current_task()
            self.cycle_id = secrets.token_hex(4)
            interrupted = False
            self.async_publish_progress(None)  # "Cycle running" turns on
            try:
                if await self._async_cycle() and not self.blocked:
                    self.session.health = SessionHealth.HEALTHY  # a good cycle
            except asyncio.CancelledError:
                # Not a finished cycle: after a restart the rest goes on at once.
                interrupted = True
                raise
            finally:
                self._cycle_task = None
                if not interrupted:
                    self.stored.last_cycle = self._now()
                self._schedule_save()
                # Planned from start times: a long cycle does not push the next.
                self.update_interval = timedelta(
                    seconds=max(BUSY_RETRY, self.next_cycle_at - self._now())
                )
        return self.snapshot()

    async def _async_cycle(self) -> bool:
        """
        Run the planner's steps until it is done or a limit stops the cycle.

        Returns:
            False when the cycle was skipped (paused or backing off).

        """
        now = self._now()
        # Not on the same minute every hour, and never into the night.
        self.next_cycle_at = now + self.safety.next_cycle_delay(
            self.interval, self._rng
        )
        if purged := self.stored.purge_stories(now):
            LOGGER.debug("Forgot %s stories liked more than 24 h ago", purged)
        if not self.stored.auto_like or self.limiter.backoff_until is not None:
            return False
        if not self.safety.likes_allowed():
            # Outside the active hours or frozen: fetching alone buys nothing.
            return False
        LOGGER.debug("Cycle %s starts", self.cycle_id)
        await self._async_run(
            CyclePlanner(
                self.limiter, started=now, interval=self.interval, policy=self._policy()
            )
        )
        await self.session.async_refresh()
        return True

    async def _async_run(self, planner: CyclePlanner) -> None:
        """Execute the planner's steps; a limit or backoff ends the run early."""
        previous: str | None = None
        try:
            while True:
                targets = {t.pk: t for t in self.targets if t.enabled}
                planner.policy = self._policy()  # a like may start the warm-up ramp
                step = planner.next_step(
                    [self._view(target) for target in targets.values()], self._now()
                )
                if step.kind is StepKind.DONE:
                    return
                if step.kind is StepKind.WAIT:
                    LOGGER.debug(
                        "Cycle %s waits %.0f s for budget", self.cycle_id, step.seconds
                    )
                    await self._sleep(step.seconds)
                    continue
                if step.target_pk is not None and step.target_pk != previous:
                    if previous is not None:
                        await self._sleep(self.limiter.account_delay())
                        self.async_publish_progress(previous)
                    previous = step.target_pk
                await self._async_step(planner, step, targets)
        except _CycleStop:
            pass
        finally:
            self.async_publish_progress(previous)

    def _policy(self) -> Policy:
        """Return the safety policy's constraints for the planner, as they are now."""
        effective = self.safety.effective_limits(self.limiter.limits)
        self.policy = Policy(
            requests_frozen_until=self.safety.policy.frozen_until(FreezeScope.ALL),
            likes_frozen_until=self.safety.policy.frozen_until(FreezeScope.LIKES),
            max_likes_per_hour=effective.max_likes_per_hour,
            max_likes_per_day=effective.max_likes_per_day,
            max_likes_per_target=self.safety.settings.max_likes_per_target_cycle,
        )
        return self.policy

    def _view(self, target: Target) -> TargetView:
        state = self.stored.target(target.pk)
        return TargetView(
            pk=target.pk,
            like_stories=target.like_stories,
            like_posts=target.like_posts,
            followed=state.followed,
            followed_checked=state.followed_checked,
            last_story_check=state.last_story_check,
            last_post_check=state.last_post_check,
            latest_reel_media=state.latest_reel_media,
        )

    async def _async_step(
        self, planner: CyclePlanner, step: Step, targets: dict[str, Target]
    ) -> None:
        """Execute one step and tell the planner what came of it."""
        if step.kind is StepKind.TRAY:
            entries = await self._async_call(self.api.reels_tray)
            tray = {entry.user_pk: entry.latest_reel_media for entry in entries}
            for pk in tray.keys() & targets.keys():
                # Only followed accounts appear in the tray.
                state = self.stored.target(pk)
                state.followed, state.followed_checked = True, self._now()
            planner.on_tray(tray)
            return
        assert step.target_pk is not None  # noqa: S101 - every other step has one
        target = targets[step.target_pk]
        if step.kind is StepKind.LIKE:
            assert step.item is not None  # noqa: S101 - a LIKE step has an item
            await self._async_like_step(planner, target, step.item)
            return
        state = self.stored.target(target.pk)
        try:
            await self._async_fetch(planner, step.kind, target, state)
        except (TargetNotFound, TargetPrivate) as err:
            planner.on_failed(target.pk)
            state.error_count += 1
            state.last_error = (
                "not_found" if isinstance(err, TargetNotFound) else "private"
            )
            LOGGER.warning(
                "Target %s (%s) is %s; skipped in cycle %s",
                target.username,
                target.pk,
                state.last_error,
                self.cycle_id,
            )
        else:
            state.error_count = 0
            state.last_error = None
        finally:
            self._schedule_save()

    async def _async_fetch(
        self,
        planner: CyclePlanner,
        kind: StepKind,
        target: Target,
        state: TargetState,
    ) -> None:
        """Fetch a friendship status, story feed or post feed of one target."""
        if kind is StepKind.FRIENDSHIP:
            state.followed = await self._async_call(
                self.api.in_tray_when_live, target.pk
            )
            state.followed_checked = self._now()
            planner.on_friendship(target.pk)
        elif kind is StepKind.STORIES:
            stories = await self._async_call(self.api.user_stories, target.pk)
            state.last_story_check = self._now()
            newest = max((int(s.taken_at.timestamp()) for s in stories), default=0)
            stories = self._after_baseline(target, state, stories, story=True)
            planner.on_stories(target.pk, self._unliked(target, stories), newest)
            self._stories_handled(planner, state)
        else:
            posts = await self._async_call(self.api.user_posts, target.pk)
            state.last_post_check = self._now()
            posts = self._after_baseline(target, state, posts, story=False)
            # A post liked long ago (pinned, or an idle target) is in the history.
            await self.store.async_recall_posts(
                self.stored, [post.pk for post in posts], self._now()
            )
            planner.on_posts(target.pk, self._unliked(target, posts))

    def _after_baseline(
        self, target: Target, state: TargetState, items: list[MediaItem], *, story: bool
    ) -> list[MediaItem]:
        """
        Drop what a new target had published before it was added (issue 10).

        At the first check of a target added with a backlog choice, its current
        posts are baselined except the newest `backlog_posts`, and its current
        stories unless `like_current_stories`; a target from before baselining
        (no choice stored) is never baselined.
        """
        since = state.stories_since if story else state.posts_since
        if since is None:
            if target.backlog_posts is None:
                return items
            if story:
                since = 0.0 if target.like_current_stories else self._now()
                state.stories_since = since
            else:
                stamps = [item.taken_at.timestamp() for item in items]
                since = baseline_cutoff(stamps, target.backlog_posts)
                state.posts_since = since
            LOGGER.debug(
                "Baselined %s %s of %s",
                sum(item.taken_at.timestamp() <= since for item in items),
                "stories" if story else "posts",
                target.username,
            )
        return [item for item in items if item.taken_at.timestamp() > since]

    def _unliked(self, target: Target, items: list[MediaItem]) -> list[MediaItem]:
        """Items liked neither in the store nor on Instagram (those are remembered)."""
        result = []
        for item in items:
            if self._is_liked(item):
                continue
            if (sent_at := self._unsure.pop(item.pk, None)) is not None:
                if item.has_liked:
                    # Our like whose answer was lost did land: record it once now.
                    self._record_like(target, item, None, counted=True)
                    continue
                self.limiter.forget(Action.LIKE, sent_at)  # it did not land
            if item.has_liked:
                # Liked by hand or another app: remember it, never like it again.
                self._remember(item)
                continue
            result.append(item)
        return result

    @staticmethod
    def _stories_handled(planner: CyclePlanner, state: TargetState) -> None:
        """
        Remember the newest story once all of the target's were handled.

        Only then: a limit or a switch mid-list must not let the tray hide the rest.
        """
        if (newest := planner.stories_handled(state.pk)) is not None and newest:
            state.latest_reel_media = newest

    async def _async_like_step(
        self, planner: CyclePlanner, target: Target, item: MediaItem
    ) -> None:
        if not self.stored.auto_like:
            raise _CycleStop
        liked = await self._async_like(target, item)
        planner.on_handled(item, liked=liked)
        if item.kind is MediaKind.STORY:
            self._stories_handled(planner, self.stored.target(target.pk))

    def _is_liked(self, item: MediaItem) -> bool:
        liked = (
            self.stored.liked_stories
            if item.kind is MediaKind.STORY
            else self.stored.liked_posts
        )
        return item.pk in liked

    def _remember(self, item: MediaItem) -> None:
        liked = (
            self.stored.liked_stories
            if item.kind is MediaKind.STORY
            else self.stored.liked_posts
        )
        liked[item.pk] = self._now()
        self._schedule_save()

    async def _async_like(self, target: Target, item: MediaItem) -> bool:
        """
        Like one item within the like and story-view limits; log it (QS-03).

        Returns:
            True when liked, False when the media is gone.

        Raises:
            _CycleStop: A limit was reached or Instagram throttles.
            ConfigEntryAuthFailed, UpdateFailed: As `_async_call`.

        """
        is_story = item.kind is MediaKind.STORY
        delay = self.limiter.like_delay()
        # The like goes out after its pause and the request pause (at most 2x).
        lead = delay + 2 * self.limiter.limits.delay_between_requests
        if not self.safety.likes_allowed(within=lead):
            raise _CycleStop  # frozen meanwhile, or the active hours end
        if not self.limiter.allows(Action.LIKE) or (
            is_story and not self.limiter.allows(Action.STORY_VIEW)
        ):
            LOGGER.info(
                "Like limit reached in cycle %s; %s %s of %s waits",
                self.cycle_id,
                item.kind,
                item.pk,
                target.username,
            )
            raise _CycleStop
        await self._sleep(delay)
        like = self.api.like_story if is_story else self.api.like_post
        try:
            await self._async_call(
                like,
                item,
                requests=STORY_LIKE_REQUESTS if is_story else SINGLE_REQUEST,
                on_done=partial(self._record_like, target, item),
                resend=False,
            )
        except TargetNotFound:
            LOGGER.warning(
                "Like failed: target=%s pk=%s kind=%s error=media_gone cycle=%s",
                target.username,
                item.pk,
                item.kind,
                self.cycle_id,
            )
            return False
        except (_CycleStop, ConfigEntryAuthFailed, UpdateFailed) as err:
            if isinstance(err.__cause__, CannotConnect):
                # Sent, but did it land? The next cycle's feed tells (has_liked);
                # until then the limits count it, as Instagram may.
                self._unsure[item.pk] = self._now()
                self._count_like(item)
            LOGGER.warning(
                "Like failed: target=%s pk=%s kind=%s error=%s cycle=%s",
                target.username,
                item.pk,
                item.kind,
                type(err.__cause__ or err).__name__,
                self.cycle_id,
            )
            raise
        return True

    def _count_like(self, item: MediaItem) -> None:
        """Count a like (and a story's view) against the limits."""
        self.limiter.record(Action.LIKE)
        if item.kind is MediaKind.STORY:
            self.limiter.record(Action.STORY_VIEW)

    @callback
    def _record_like(
        self, target: Target, item: MediaItem, _result: None, *, counted: bool = False
    ) -> None:
        """
        Record a like as soon as Instagram confirmed it.

        `counted`: the limits already count it (its answer was lost, the feed
        now shows it landed).
        """
        now = self._now()
        if not counted:
            self._count_like(item)
        self.safety.like_succeeded()
        self._remember(item)
        state = self.stored.target(target.pk)
        state.last_like = now
        if item.kind is MediaKind.STORY:
            state.stories_liked += 1
        else:
            state.posts_liked += 1
        LOGGER.info(
            "Liked: target=%s pk=%s kind=%s cycle=%s",
            target.username,
            item.pk,
            item.kind,
            self.cycle_id,
        )
        if item.thumbnail_url:
            self.last_thumbnails[target.pk] = item.thumbnail_url
        activity.async_fire(
            self.hass,
            self.config_entry,
            EVENT_LIKED,
            {
                "target": target.username,
                "target_pk": target.pk,
                "kind": item.kind.value,
                "media_pk": item.pk,
            },
        )
        self._schedule_save()
        # The counters move with each like, not only at the end of the cycle: the
        # account's entities and this target's (the others are not written).
        self.async_publish_progress(target.pk)

    # --------------------------------------------------------- side jobs --

    def cycle_refusal(self) -> tuple[str, dict[str, str]] | None:
        """
        Why a cycle started now would like nothing, or None when it can run.

        Returns:
            (translation key of the `exceptions` section, its placeholders).

        """
        username = self.config_entry.title
        if self.blocked:
            return "reauth_required", {"username": username}
        if not self.stored.auto_like:
            return "cycle_paused", {"username": username}
        frozen = [
            until
            for until in (self.limiter.backoff_until, self.safety.policy.blocked_until)
            if until is not None
        ]
        if frozen:
            when = dt_util.as_local(dt_util.utc_from_timestamp(max(frozen)))
            return "cycle_frozen", {
                "username": username,
                "until": when.strftime("%Y-%m-%d %H:%M"),
            }
        return None

    @callback
    def async_start_cycle(self, *, user: bool = True) -> None:
        """
        Start a cycle in the background now (button, action, first cycle).

        Args:
            user: True for the button and the action: refuse with a message when
                the cycle could like nothing. The schedule passes False.

        Raises:
            HomeAssistantError: Paused, waiting for reauthentication or frozen
                (backing off); the message says which and until when.

        """
        if self.blocked or (user and self.cycle_refusal() is not None):
            key, placeholders = self.cycle_refusal() or ("reauth_required", {})
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders=placeholders,
            )
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} cycle {self.config_entry.title}"
        )

    @callback
    def async_targets_changed(self) -> None:
        """
        Targets were added, removed or switched: forget removed ones, publish.

        A target added or switched on is checked at once (within the limits): a
        cycle under way picks it up itself (never-checked targets come first).
        """
        self._targets = None  # a subentry's data changes in place
        current = {target.pk for target in self.targets}
        for pk in set(self.stored.targets) - current:
            del self.stored.targets[pk]
        enabled = {target.pk for target in self.targets if target.enabled}
        new, self._enabled = enabled - self._enabled, enabled
        self._schedule_save()
        self.async_publish()
        if new and not self.blocked and not self._cycle_lock.locked():
            self.config_entry.async_create_background_task(
                self.hass,
                self.async_check_targets(frozenset(new)),
                f"{DOMAIN} check new targets {self.config_entry.title}",
            )

    async def async_check_targets(self, pks: frozenset[str]) -> None:
        """
        Fetch the feeds of new targets once and like what is new, within limits.

        Runs under the cycle lock and leaves the regular schedule alone; it is
        skipped while a cycle runs, paused, blocked or backing off.
        """
        if self._cycle_lock.locked():
            return
        async with self._cycle_lock:
            self._cycle_task = asyncio.current_task()
            self.cycle_id = secrets.token_hex(4)
            try:
                if (
                    self.blocked
                    or not self.stored.auto_like
                    or self.limiter.backoff_until is not None
                    or not self.safety.likes_allowed()
                ):
                    return
                now = self._now()
                LOGGER.debug("Check %s of new targets starts", self.cycle_id)
                await self._async_run(
                    CyclePlanner(
                        self.limiter,
                        started=now,
                        interval=max(BUSY_RETRY, self.next_cycle_at - now),
                        policy=self._policy(),
                        focus=pks,
                    )
                )
            except (ConfigEntryAuthFailed, UpdateFailed) as err:
                LOGGER.warning("Check of new targets failed: %s", err)
                if isinstance(err, ConfigEntryAuthFailed):
                    self.config_entry.async_start_reauth(self.hass)
            finally:
                self._cycle_task = None
                self._schedule_save()

    async def async_resolve_target(self, username: str) -> TargetUser:
        """
        Resolve a username to its pk for the target subentry flow (one request).

        Raises:
            TargetNotFound, TargetPrivate, RateLimited, CannotConnect,
            ChallengeRequired (also when the account is blocked), SessionExpired.

        """
        if self.blocked:
            raise ChallengeRequired
        if (until := self.safety.policy.frozen_until(FreezeScope.ALL)) is not None:
            raise RateLimited(retry_after=until - self._now())
        if not self.limiter.allows(Action.REQUEST, 2):
            raise RateLimited(
                retry_after=self.limiter.seconds_until_allowed(Action.REQUEST, 2)
            )
        self.session.record_request()
        target = await self.session.async_job(self.api.resolve_username, username)
        self._schedule_save()
        return target

    @callback
    def async_schedule_keep_alive(self, _now: datetime | None = None) -> None:
        """Timer callback: run the keep-alive check as a task that stop cancels."""
        if self._keep_alive_task is None or self._keep_alive_task.done():
            self._keep_alive_task = self.config_entry.async_create_background_task(
                self.hass,
                self.async_keep_alive(),
                f"{DOMAIN} keep-alive {self.config_entry.title}",
            )

    async def async_keep_alive(self) -> None:
        """Touch the session when no cycle ran for a keep-alive interval (spec 8.3)."""
        if self._cycle_lock.locked() or not self.safety.requests_allowed():
            return
        if self.safety.policy.sleeping():
            return  # a person does not open the app at 3 a.m. either
        options = {**DEFAULT_OPTIONS, **self.config_entry.options}
        if await self.session.async_keep_alive(
            float(options[CONF_KEEP_ALIVE]) * 60, self.stored.last_cycle or 0.0
        ):
            self.async_publish()

    async def async_shutdown(self) -> None:
        """
        Stop the cycle and keep-alive in flight, then save (spec QS-04).

        The adapter call in flight completes and its outcome is recorded first, even
        when Home Assistant already cancelled the tasks waiting for it.
        """
        tasks = [
            task
            for task in (self._cycle_task, self._keep_alive_task)
            if task is not None and not task.done()
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await self.session.async_wait_jobs()
        self.safety.async_unload()
        await super().async_shutdown()
        await self.async_save()
