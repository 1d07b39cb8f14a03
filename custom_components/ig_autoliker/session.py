"""
The session lifecycle of one Instagram account: the spec's SessionManager.

Login with the saved session, relogin after `login_required` (spec 8.5), the
challenge alarm, the keep-alive (spec 8.3) and copying the session into the store.
The liking cycle (`coordinator.py`) owns a `SessionManager` and asks it to relogin or
raise the alarm; it never talks to the login machinery itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed

from . import activity
from .const import (
    DOMAIN,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_REAUTH_REQUIRED,
    LOGGER,
    RELOGIN_DELAY,
    RELOGIN_TRIES,
)
from .engine.exceptions import (
    AccountSuspended,
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    ClientOutdated,
    FeedbackRequired,
    IgAutolikerError,
    IpBlocked,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from .engine.ratelimit import Action

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .engine.client import InstagramClient
    from .engine.ratelimit import RateLimiter
    from .store import StoredData


class SessionHealth(StrEnum):
    """State of the Instagram session, as the "Session health" sensor shows it."""

    HEALTHY = "healthy"
    REAUTH_REQUIRED = "reauth_required"
    CHALLENGE_REQUIRED = "challenge_required"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    SUSPENDED = "suspended"
    ERROR = "error"


#: HTTP requests a fresh login sends: instagrapi 3.x's CAA/Bloks flow and its
#: post-login reels tray and timeline (9 measured against the emulator; DESIGN.md,
#: "Every request counts against the hourly budget, logins too").
FRESH_LOGIN_REQUESTS: Final = 9

#: Session states in which no request may reach Instagram until the user acts.
BLOCKING_HEALTH = frozenset(
    {
        SessionHealth.CHALLENGE_REQUIRED,
        SessionHealth.REAUTH_REQUIRED,
        SessionHealth.TWO_FACTOR_REQUIRED,
        SessionHealth.SUSPENDED,
    }
)

#: Errors no retry can fix: the account, the network or the library must change.
type FatalError = AccountSuspended | IpBlocked | ClientOutdated


def challenge_issue_id(entry_id: str) -> str:
    """Repair issue id of a pending checkpoint of the entry."""
    return f"challenge_required_{entry_id}"


def suspended_issue_id(entry_id: str) -> str:
    """Repair issue id of a suspended account."""
    return f"account_suspended_{entry_id}"


def native_challenge_pending(hass: HomeAssistant, entry_id: str) -> bool:
    """Tell whether the entry waits for a checkpoint confirmed in the app."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, challenge_issue_id(entry_id))
    return issue is not None and bool((issue.data or {}).get("native"))


async def async_complete_job[T](
    hass: HomeAssistant,
    func: Callable[..., T],
    *args: Any,
    on_done: Callable[[T], None] | None = None,
    pending: set[asyncio.Future[Any]],
) -> T:
    """
    Run a blocking adapter call as an executor job; its outcome is never lost.

    A cancellation (unload, stop) cannot stop a thread, and Home Assistant cancels
    the executor futures of background tasks before it fires the stop event. So the
    thread hands its outcome to a future of our own, on the event loop: `on_done`
    records a success there even when nobody awaits it any more (a like Instagram
    confirmed is never lost, spec QS-04). A cancelled caller waits for the call in
    flight to end before the cancellation goes on; `pending` holds the outcome until
    then, for a shutdown to await (`async_wait_jobs`).

    Returns:
        What `func` returned.

    Raises:
        Whatever `func` raises; asyncio.CancelledError after a cancellation.

    """
    loop = hass.loop
    outcome: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        pending.discard(outcome)
        if error is None and on_done is not None:
            try:
                on_done(result)  # type: ignore[arg-type]
            except Exception as err:  # noqa: BLE001 - the waiter must not hang
                error = err
        if error is not None:
            outcome.set_exception(error)
        else:
            outcome.set_result(result)  # type: ignore[arg-type]

    def job() -> None:
        try:
            result = func(*args)
        except Exception as err:  # noqa: BLE001 - handed over to the loop
            loop.call_soon_threadsafe(settle, None, err)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    # Nobody may be left to read a failure after a cancellation: read it here.
    outcome.add_done_callback(lambda done: done.cancelled() or done.exception())
    pending.add(outcome)
    # Home Assistant may cancel this future at stop; `outcome` is ours alone.
    hass.async_add_executor_job(job)
    try:
        # `wait`, not `shield`: a cancelled caller leaves `outcome` to settle.
        await asyncio.wait([outcome])
    except asyncio.CancelledError:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([outcome])
        raise
    return outcome.result()


async def async_wait_jobs(pending: set[asyncio.Future[Any]]) -> None:
    """Wait until every adapter call in `pending` has ended (its outcome recorded)."""
    if pending:
        await asyncio.wait(list(pending))


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
        on_throttled: Starts the backoff or freeze a throttled request calls for
            (the error, the cycle id or None).

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        api: InstagramClient,
        stored: StoredData,
        limiter: RateLimiter,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        on_change: Callable[[], None],
        on_publish: Callable[[], None],
        on_throttled: Callable[[RateLimited | FeedbackRequired, str | None], None],
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
        self._on_throttled = on_throttled
        self.health = SessionHealth.HEALTHY
        #: Unix seconds of the last request sent (keep-alive and request pacing).
        self.last_request_at = 0.0
        #: Outcomes of adapter calls still running in a thread (see `async_job`).
        self.jobs: set[asyncio.Future[Any]] = set()

    async def async_job[T](
        self,
        func: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None] | None = None,
    ) -> T:
        """Run an adapter call whose outcome outlives a cancellation (see above)."""
        return await async_complete_job(
            self._hass, func, *args, on_done=on_done, pending=self.jobs
        )

    async def async_wait_jobs(self) -> None:
        """Wait until every adapter call still running has ended (stop, unload)."""
        await async_wait_jobs(self.jobs)

    @property
    def blocked(self) -> bool:
        """True while no request may reach Instagram until the user reauthenticates."""
        return self.health in BLOCKING_HEALTH

    def record_request(self, count: int = 1) -> None:
        """Count `count` requests against the budget and note when they were sent."""
        self.last_request_at = self._clock()
        self._limiter.record(Action.REQUEST, count)

    def relogin_allowed(self) -> bool:
        """Tell whether the request budget has room for a fresh login now."""
        return self._limiter.allows(Action.REQUEST, FRESH_LOGIN_REQUESTS)

    async def _async_login_job(self, func: Callable[[], Any]) -> None:
        """
        Run a login call and count every request it sent against the budget.

        A login's cost is known only afterwards: one validation request with a
        saved session, about `FRESH_LOGIN_REQUESTS` for a fresh login, failed or not.
        """
        before = self._api.requests_sent
        try:
            await self.async_job(func)
        finally:
            if sent := self._api.requests_sent - before:
                self.record_request(sent)

    async def async_login(self) -> None:
        """
        Log in with the stored session (one validation request) and save it.

        Raises:
            ConfigEntryAuthFailed: Instagram wants a password, code or checkpoint.
            RateLimited: Still backing off (no request sent), or Instagram
                throttled the login: the backoff starts, setup is retried.
            IgAutolikerError: Network trouble (setup is retried).

        """
        if (until := self._limiter.backoff_until) is not None:
            # Setup retries come every few seconds; the account comes first.
            msg = "Backing off after Instagram throttled the account"
            raise RateLimited(msg, retry_after=until - self._clock())
        try:
            await self._async_login_job(self._api.login)
        except (RateLimited, FeedbackRequired) as err:
            self.throttled(err)
            raise
        except ChallengeRequired as err:
            raise await self.async_challenge(native=err.native) from None
        except (AuthenticationFailed, TwoFactorRequired) as err:
            raise self.auth_failed(err) from err
        except (AccountSuspended, IpBlocked, ClientOutdated) as err:
            raise self.fatal(err, at_setup=True) from err
        self._healthy()
        await self.async_refresh()

    def _healthy(self) -> None:
        """Mark the session working and clear the alarms of an earlier checkpoint."""
        self.health = SessionHealth.HEALTHY
        ir.async_delete_issue(
            self._hass, DOMAIN, challenge_issue_id(self._entry.entry_id)
        )
        ir.async_delete_issue(
            self._hass, DOMAIN, suspended_issue_id(self._entry.entry_id)
        )

    def fatal(self, err: FatalError, *, at_setup: bool = False) -> HomeAssistantError:
        """
        Stop on an error no retry fixes and build the error that says so.

        A suspension stops every request (Session health `suspended`, a repair
        issue that only the user can resolve, in the Instagram app); an IP block or
        an outdated instagrapi marks the session `error`.

        Args:
            err: What the adapter raised.
            at_setup: Build the error for `async_setup_entry` (entry setup fails
                or retries) instead of the one for a cycle (UpdateFailed).

        Returns:
            The translated error for the caller to raise.

        """
        placeholders = {"username": self._entry.title}
        if isinstance(err, AccountSuspended):
            key = "account_suspended"
            self._suspend()
        elif isinstance(err, IpBlocked):
            key = "ip_blocked"
            self.health = SessionHealth.ERROR
        else:
            key = "client_outdated"
            placeholders["version"] = err.library_version
            self.health = SessionHealth.ERROR
        LOGGER.warning(
            "Instagram refuses %s: %s", self._entry.title, type(err).__name__
        )
        self._on_change()
        kwargs: dict[str, Any] = {
            "translation_domain": DOMAIN,
            "translation_key": key,
            "translation_placeholders": placeholders,
        }
        if not at_setup:
            return UpdateFailed(**kwargs)
        if isinstance(err, IpBlocked):
            return ConfigEntryNotReady(**kwargs)
        return ConfigEntryError(**kwargs)

    def _suspend(self) -> None:
        self.health = SessionHealth.SUSPENDED
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            suspended_issue_id(self._entry.entry_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="account_suspended",
            translation_placeholders={"username": self._entry.title},
        )
        self._on_publish()

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
        activity.async_fire(
            self._hass,
            self._entry,
            EVENT_REAUTH_REQUIRED,
            {"username": self._entry.title, "reason": self.health.value},
        )
        self._on_change()
        self._on_publish()  # at once: the reauth flow may stay open for days
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="reauth_required",
            translation_placeholders={"username": self._entry.title},
        )

    async def async_relogin(self, cycle_id: str | None = None) -> None:
        """
        Log in afresh after `login_required`: linear 5 min, 3 tries (spec 8.5).

        A fresh password login with the saved device, since Instagram has just
        refused the session. Only Instagram's own verdict on the credentials asks
        the user; a network failure or a refused session fails this cycle only.

        Args:
            cycle_id: The cycle asking, for the log lines (None outside a cycle).

        Raises:
            ConfigEntryAuthFailed: The password was refused, a code or checkpoint is
                needed.
            RateLimited, FeedbackRequired: Instagram throttles (never retried).
            UpdateFailed: Every try failed; "Session health" shows `error`.

        """
        error: Exception = SessionExpired()
        for attempt in range(RELOGIN_TRIES):
            if attempt:
                await self._sleep(RELOGIN_DELAY)
            try:
                await self._async_login_job(self._api.relogin)
            except (SessionExpired, CannotConnect) as err:
                error = err
                LOGGER.warning(
                    "Relogin try %s of %s failed in cycle %s: %s",
                    attempt + 1,
                    RELOGIN_TRIES,
                    cycle_id,
                    type(err).__name__,
                )
                continue
            except ChallengeRequired as err:
                raise await self.async_challenge(native=err.native) from None
            except (AuthenticationFailed, TwoFactorRequired) as err:
                raise self.auth_failed(err) from err
            except (AccountSuspended, IpBlocked, ClientOutdated) as err:
                raise self.fatal(err) from err
            self._healthy()
            await self.async_refresh()
            return
        raise self.failed(error)

    def failed(self, err: Exception) -> UpdateFailed:
        """
        Show `error` until the next good cycle; build the error that fails it.

        Args:
            err: What went wrong (its text goes into the message, never a secret).

        Returns:
            The translated error for the caller to raise.

        """
        if not self.blocked:
            self.health = SessionHealth.ERROR
        self._on_publish()
        if isinstance(err, SessionExpired):
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="session_refused",
                translation_placeholders={"username": self._entry.title},
            )
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err) or type(err).__name__},
        )

    def throttled(
        self, err: RateLimited | FeedbackRequired, cycle_id: str | None = None
    ) -> None:
        """Instagram throttled a request of the session: the owner does less."""
        self._on_throttled(err, cycle_id)

    async def async_challenge(self, *, native: bool = False) -> ConfigEntryAuthFailed:
        """
        Stop all requests, tell the user: repair issue, event, binary sensor.

        Never retried (spec 8.5); the reauth flow solves the checkpoint.

        Args:
            native: Instagram's usual checkpoint (`native_flow`): the user confirms
                in the Instagram app, then the reauth flow logs in again with the
                same device and session. Otherwise the flow asks for a code.

        Returns:
            The error to raise: it starts the reauthentication flow.

        """
        self.health = SessionHealth.CHALLENGE_REQUIRED
        username = self._entry.title
        LOGGER.warning("Instagram asks %s to pass a challenge; liking stops", username)
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            challenge_issue_id(self._entry.entry_id),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="challenge_confirm_in_app"
            if native
            else "challenge_required",
            translation_placeholders={"username": username},
            data={"entry_id": self._entry.entry_id, "native": native},
        )
        activity.async_fire(
            self._hass,
            self._entry,
            EVENT_CHALLENGE_REQUIRED,
            {"username": username, "confirm_in_app": native},
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
        refused password or a challenge starts the reauth flow, throttling the
        backoff (as in a cycle).

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
            await self.async_job(self._api.keep_alive)
        except SessionExpired:
            await self._async_keep_alive_relogin()
        except ChallengeRequired as err:
            await self.async_challenge(native=err.native)
            self._entry.async_start_reauth(self._hass)
        except AccountSuspended as err:
            self.fatal(err)
        except (RateLimited, FeedbackRequired) as err:
            self.throttled(err)  # throttling counts wherever it is met
        except IgAutolikerError as err:
            LOGGER.debug("Keep-alive failed: %s", type(err).__name__)
        else:
            await self.async_refresh()
        self._on_change()
        return True

    async def _async_keep_alive_relogin(self) -> None:
        """Relogin for the keep-alive: ask the user only when Instagram says so."""
        if not self.relogin_allowed():
            LOGGER.info("Relogin of %s waits for request budget", self._entry.title)
            return
        try:
            await self.async_relogin()
        except ConfigEntryAuthFailed:
            self._entry.async_start_reauth(self._hass)
        except (RateLimited, FeedbackRequired) as err:
            self.throttled(err)
        except UpdateFailed as err:
            LOGGER.warning("Keep-alive relogin failed: %s", err)
