"""
The session lifecycle of one Instagram account: the spec's SessionManager.

Login with the saved session, relogin after `login_required` (spec 8.5), the
challenge alarm, the keep-alive (spec 8.3) and copying the session into the store.
The liking cycle (`coordinator.py`) owns a `SessionManager` and asks it to relogin or
raise the alarm; it never talks to the login machinery itself.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    EVENT_CHALLENGE_REQUIRED,
    LOGGER,
    RELOGIN_DELAY,
    RELOGIN_TRIES,
)
from .exceptions import (
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    IgAutolikerError,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from .limiter import Action

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .api import InstagramApi
    from .limiter import RateLimiter
    from .store import StoredData


class SessionHealth(StrEnum):
    """State of the Instagram session, as the "Session health" sensor shows it."""

    HEALTHY = "healthy"
    REAUTH_REQUIRED = "reauth_required"
    CHALLENGE_REQUIRED = "challenge_required"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    ERROR = "error"


#: Session states in which no request may reach Instagram until the user acts.
BLOCKING_HEALTH = frozenset(
    {
        SessionHealth.CHALLENGE_REQUIRED,
        SessionHealth.REAUTH_REQUIRED,
        SessionHealth.TWO_FACTOR_REQUIRED,
    }
)


async def async_complete_job[T](
    hass: HomeAssistant,
    func: Callable[..., T],
    *args: Any,
    on_done: Callable[[T], None] | None = None,
) -> T:
    """
    Run a blocking adapter call as an executor job; if cancelled, let it finish.

    A cancellation (unload, stop) cannot stop a thread. The call in flight is
    awaited to its end and `on_done` records its outcome before the cancellation
    goes on, so a like Instagram confirmed is never lost (spec QS-04).

    Returns:
        What `func` returned.

    Raises:
        Whatever `func` raises; asyncio.CancelledError after a cancellation.

    """
    future = hass.async_add_executor_job(func, *args)
    try:
        result = await asyncio.shield(future)
    except asyncio.CancelledError:
        try:
            result = await future
        except Exception:  # noqa: BLE001 - the cancellation matters more
            raise asyncio.CancelledError from None
        if on_done is not None:
            on_done(result)
        raise
    if on_done is not None:
        on_done(result)
    return result


class SessionManager:
    """
    Keeps one account's Instagram session alive and tells the user when it cannot.

    Args:
        hass: Home Assistant.
        entry: The account's config entry (title = username, for messages).
        api: The blocking adapter.
        stored: The entry's stored data; `stored.session` is kept current.
        limiter: Every request the session sends is recorded here (requests/hour).
        clock: Unix seconds (the coordinator's clock, frozen in tests).
        sleep: Waits on the event loop, seconds.
        on_change: Schedules a store save.
        on_publish: Pushes the new state to the entities (called only once they
            exist).

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        api: InstagramApi,
        stored: StoredData,
        limiter: RateLimiter,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        on_change: Callable[[], None],
        on_publish: Callable[[], None],
    ) -> None:
        """Hold the collaborators; no request is sent until `async_login`."""
        self._hass = hass
        self._entry = entry
        self._api = api
        self._stored = stored
        self._limiter = limiter
        self._clock = clock
        self._sleep = sleep
        self._on_change = on_change
        self._on_publish = on_publish
        self.health = SessionHealth.HEALTHY
        #: Unix seconds of the last request sent (keep-alive and request pacing).
        self.last_request_at = 0.0

    @property
    def blocked(self) -> bool:
        """True while no request may reach Instagram until the user reauthenticates."""
        return self.health in BLOCKING_HEALTH

    def record_request(self, count: int = 1) -> None:
        """Count `count` requests against the budget and note when they were sent."""
        self.last_request_at = self._clock()
        self._limiter.record(Action.REQUEST, count)

    async def async_login(self) -> None:
        """
        Log in with the stored session (one validation request) and save it.

        Raises:
            ConfigEntryAuthFailed: Instagram wants a password, code or checkpoint.
            IgAutolikerError: Network or rate-limit trouble (setup is retried).

        """
        try:
            await async_complete_job(self._hass, self._api.login)
        except ChallengeRequired:
            raise await self.async_challenge() from None
        except (AuthenticationFailed, TwoFactorRequired) as err:
            raise self.auth_failed(err) from err
        self.record_request()
        self.health = SessionHealth.HEALTHY
        await self.async_refresh()

    def auth_failed(self, err: Exception) -> ConfigEntryAuthFailed:
        """
        Mark the session and build the error that starts a reauth flow.

        Args:
            err: TwoFactorRequired marks "two factor required"; anything else
                "reauth required".

        Returns:
            The translated error for the caller to raise.

        """
        if isinstance(err, TwoFactorRequired):
            self.health = SessionHealth.TWO_FACTOR_REQUIRED
        else:
            self.health = SessionHealth.REAUTH_REQUIRED
        self._on_change()
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="reauth_required",
            translation_placeholders={"username": self._entry.title},
        )

    async def async_relogin(self, cycle_id: str | None = None) -> None:
        """
        Log in again after `login_required`: linear 5 min, 3 tries (spec 8.5).

        Args:
            cycle_id: The cycle asking, for the log lines (None outside a cycle).

        Raises:
            ConfigEntryAuthFailed: The password was refused, a code or checkpoint is
                needed, or every try failed.

        """
        for attempt in range(RELOGIN_TRIES):
            if attempt:
                await self._sleep(RELOGIN_DELAY)
            try:
                await async_complete_job(self._hass, self._api.login)
            except (SessionExpired, CannotConnect, RateLimited) as err:
                LOGGER.warning(
                    "Relogin try %s of %s failed in cycle %s: %s",
                    attempt + 1,
                    RELOGIN_TRIES,
                    cycle_id,
                    type(err).__name__,
                )
                continue
            except ChallengeRequired:
                raise await self.async_challenge() from None
            except (AuthenticationFailed, TwoFactorRequired) as err:
                raise self.auth_failed(err) from err
            self.health = SessionHealth.HEALTHY
            await self.async_refresh()
            return
        raise self.auth_failed(SessionExpired())

    async def async_challenge(self) -> ConfigEntryAuthFailed:
        """
        Stop all requests, tell the user: repair issue, event, binary sensor.

        Never retried (spec 8.5); the reauth flow solves the checkpoint.

        Returns:
            The error to raise: it starts the reauthentication flow.

        """
        self.health = SessionHealth.CHALLENGE_REQUIRED
        username = self._entry.title
        LOGGER.warning("Instagram asks %s to pass a challenge; liking stops", username)
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            f"challenge_required_{self._entry.entry_id}",
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="challenge_required",
            translation_placeholders={"username": username},
            data={"entry_id": self._entry.entry_id},
        )
        self._hass.bus.async_fire(
            EVENT_CHALLENGE_REQUIRED,
            {"config_entry_id": self._entry.entry_id, "username": username},
        )
        self._on_change()
        self._on_publish()
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="challenge_required"
        )

    async def async_refresh(self) -> None:
        """Copy the session into the store when its cookies or device changed."""
        session = await self._hass.async_add_executor_job(self._api.export_session)
        if session != self._stored.session:
            self._stored.session = session
            self._on_change()

    async def async_keep_alive(self, interval: float, idle_since: float) -> bool:
        """
        Touch the session when nothing was sent for `interval` seconds (spec 8.3).

        One request (`accounts/current_user/`) within the request budget, never
        while blocked or backing off. `login_required` leads to a relogin; a
        relogin that fails or a challenge starts the reauth flow.

        Args:
            interval: Keep-alive interval, seconds.
            idle_since: Unix seconds of the last activity the caller knows of
                (e.g. the last cycle); the last request sent counts too.

        Returns:
            True when a request was sent (the caller publishes), False when none
            was due or allowed.

        """
        last = max(self.last_request_at, idle_since)
        if self.blocked or self._clock() - last < interval:
            return False
        if (
            not self._limiter.allows(Action.REQUEST)
            or self._limiter.backoff_until is not None
        ):
            return False
        self.record_request()
        try:
            await async_complete_job(self._hass, self._api.keep_alive)
        except SessionExpired:
            try:
                await self.async_relogin()
            except ConfigEntryAuthFailed:
                self._entry.async_start_reauth(self._hass)
        except ChallengeRequired:
            await self.async_challenge()
            self._entry.async_start_reauth(self._hass)
        except IgAutolikerError as err:
            LOGGER.debug("Keep-alive failed: %s", type(err).__name__)
        else:
            await self.async_refresh()
        self._on_change()
        return True
