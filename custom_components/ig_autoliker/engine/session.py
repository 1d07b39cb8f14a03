"""The session lifecycle of one Instagram account: the spec's SessionManager.

Login with the saved session, relogin after `login_required` (spec 8.5), the
checkpoint alarm, the keep-alive (spec 8.3), request accounting and copying the
session into the account state. It raises the engine's own exceptions; the Home
Assistant glue decides what each means to the user (`errors.py`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, Protocol

from .events import BLOCKING_HEALTH, Changed, HealthChanged, Progress, SessionHealth
from .exceptions import (
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
from .ratelimit import Action

if TYPE_CHECKING:
    from collections.abc import Callable

    from .client import InstagramClient
    from .clock import Clock, Sleep
    from .events import Listener
    from .ratelimit import RateLimiter
    from .state import StoredData

_LOGGER = logging.getLogger(__name__)

#: HTTP requests a fresh login sends: instagrapi 3.x's CAA/Bloks flow and its
#: post-login reels tray and timeline, counted against the emulator of its flow
#: (DESIGN.md, "Every request counts against the hourly budget, logins too").
FRESH_LOGIN_REQUESTS: Final = 9
#: Relogin after `login_required`: 3 tries, 5 min apart (spec section 8.5).
RELOGIN_TRIES: Final = 3
RELOGIN_DELAY: Final = 300.0

#: Errors the user must answer (password, code, checkpoint): reauthentication.
USER_ACTION_ERRORS: Final = (AuthenticationFailed, TwoFactorRequired, ChallengeRequired)
#: Errors no retry can fix: the account, the network or the library must change.
FATAL_ERRORS: Final = (AccountSuspended, IpBlocked, ClientOutdated)
#: Instagram asks us to do less: a backoff or a freeze, never a retry.
THROTTLE_ERRORS: Final = (RateLimited, FeedbackRequired)


class JobRunner(Protocol):
    """Runs blocking client calls off the caller's thread; outcomes are never lost."""

    async def run[T](
        self,
        func: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None] | None = None,
    ) -> T:
        """Run `func(*args)`; `on_done(result)` runs on success even if cancelled."""
        ...

    async def wait(self) -> None:
        """Wait until every call still running has ended."""
        ...


class SessionManager:
    """Keeps one account's Instagram session alive and says when it cannot.

    Args:
        client: The blocking Instagram client.
        stored: The account state; `stored.session` is kept current.
        limiter: Every request the session sends is recorded here (requests/hour).
        clock: Unix seconds.
        sleep: Waits, seconds (never in a worker thread).
        jobs: Runs the client's blocking calls.
        listener: Receives `HealthChanged`, `Progress` and `Changed`.
        on_throttled: Starts the backoff or freeze a throttled request calls for
            (the error, the cycle id or None).

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        client: InstagramClient,
        stored: StoredData,
        limiter: RateLimiter,
        *,
        clock: Clock,
        sleep: Sleep,
        jobs: JobRunner,
        listener: Listener,
        on_throttled: Callable[[RateLimited | FeedbackRequired, str | None], None],
    ) -> None:
        """Hold the collaborators; no request is sent until `async_login`."""
        self.client = client
        self._stored = stored
        self._limiter = limiter
        self._clock = clock
        self._sleep = sleep
        self.jobs = jobs
        self._notify = listener
        self._on_throttled = on_throttled
        self.health = SessionHealth.HEALTHY
        #: Unix seconds of the last request sent (keep-alive and request pacing).
        self.last_request_at = 0.0

    @property
    def blocked(self) -> bool:
        """True while no request may reach Instagram until the user acts."""
        return self.health in BLOCKING_HEALTH

    def record_request(self, count: int = 1) -> None:
        """Count `count` requests against the budget and note when they were sent."""
        self.last_request_at = self._clock()
        self._limiter.record(Action.REQUEST, count)

    def relogin_allowed(self) -> bool:
        """Tell whether the request budget has room for a fresh login now."""
        return self._limiter.allows(Action.REQUEST, FRESH_LOGIN_REQUESTS)

    async def _async_login_job(self, func: Callable[[], Any]) -> None:
        """Run a login call and count every request it sent against the budget.

        A login's cost is known only afterwards: one validation request with a
        saved session, about `FRESH_LOGIN_REQUESTS` for a fresh login, failed or not.
        """
        before = self.client.requests_sent
        try:
            await self.jobs.run(func)
        finally:
            if sent := self.client.requests_sent - before:
                self.record_request(sent)

    async def async_login(self, *, just_signed_in: bool = False) -> None:
        """Log in with the stored session (one validation request) and save it.

        Args:
            just_signed_in: The session comes straight from a login that has just
                read the account with it (the config flow's): it is not validated
                again, and no request is sent. Should Instagram have dropped it
                since, the first request answers `login_required` and the relogin
                of spec 8.5 follows, as for any session.

        Raises:
            RateLimited: Still backing off (no request sent), or Instagram
                throttled the login (the backoff or freeze starts).
            AuthenticationFailed, TwoFactorRequired, ChallengeRequired: The user
                must answer (Session health says which).
            AccountSuspended, IpBlocked, ClientOutdated: No retry helps.
            IgAutolikerError: Network trouble.

        """
        if just_signed_in:
            self._healthy()
            await self.async_refresh()
            return
        if (until := self._limiter.backoff_until) is not None:
            # Setup retries come every few seconds; the account comes first.
            msg = "Backing off after Instagram throttled the account"
            raise RateLimited(msg, retry_after=until - self._clock())
        try:
            await self._async_login_job(self.client.login)
        except THROTTLE_ERRORS as err:
            self._on_throttled(err, None)
            raise
        except (*USER_ACTION_ERRORS, *FATAL_ERRORS) as err:
            self.needs_user(err)
            raise
        self._healthy()
        await self.async_refresh()

    def _healthy(self) -> None:
        """Mark the session working; the owner clears earlier alarms."""
        self.health = SessionHealth.HEALTHY
        self._notify(HealthChanged(SessionHealth.HEALTHY))

    def good_cycle(self) -> None:
        """End an `error` state from an earlier cycle: this one ran through."""
        if not self.blocked:
            self.health = SessionHealth.HEALTHY

    def needs_user(self, err: IgAutolikerError) -> None:
        """Mark the session after an error only the user (or time) can fix.

        A checkpoint stops every request until the reauth flow solves it (never
        retried, spec 8.5); a refused password or a code asks for reauthentication;
        a suspension stops everything until the user deals with it in the app; an
        IP block or an outdated instagrapi mark the session `error`.
        """
        native = False
        if isinstance(err, ChallengeRequired):
            health, native = SessionHealth.CHALLENGE_REQUIRED, err.native
            _LOGGER.warning("Instagram asks for a checkpoint; liking stops")
        elif isinstance(err, TwoFactorRequired):
            health = SessionHealth.TWO_FACTOR_REQUIRED
        elif isinstance(err, AuthenticationFailed):
            health = SessionHealth.REAUTH_REQUIRED
        elif isinstance(err, AccountSuspended):
            health = SessionHealth.SUSPENDED
        else:
            health = SessionHealth.ERROR
            _LOGGER.warning("Instagram refuses the account: %s", type(err).__name__)
        self.health = health
        self._notify(HealthChanged(health, native=native))
        self._notify(Changed())

    def failed(self) -> None:
        """Show `error` until the next good cycle (unless the user must act)."""
        if not self.blocked:
            self.health = SessionHealth.ERROR
        self._notify(Progress())

    async def async_relogin(self, cycle_id: str | None = None) -> None:
        """Log in afresh after `login_required`: linear 5 min, 3 tries (spec 8.5).

        A fresh password login with the saved device, since Instagram has just
        refused the session. Only Instagram's own verdict on the credentials asks
        the user; a network failure or a refused session fails this cycle only.

        Args:
            cycle_id: The cycle asking, for the log lines (None outside a cycle).

        Raises:
            AuthenticationFailed, TwoFactorRequired, ChallengeRequired: The user
                must answer.
            AccountSuspended, IpBlocked, ClientOutdated: No retry helps.
            RateLimited, FeedbackRequired: Instagram throttles (never retried).
            SessionExpired, CannotConnect: Every try failed; "Session health"
                shows `error`.

        """
        error: IgAutolikerError = SessionExpired()
        for attempt in range(RELOGIN_TRIES):
            if attempt:
                await self._sleep(RELOGIN_DELAY)
            try:
                await self._async_login_job(self.client.relogin)
            except (SessionExpired, CannotConnect) as err:
                error = err
                _LOGGER.warning(
                    "Relogin try %s of %s failed in cycle %s: %s",
                    attempt + 1,
                    RELOGIN_TRIES,
                    cycle_id,
                    type(err).__name__,
                )
                continue
            except (*USER_ACTION_ERRORS, *FATAL_ERRORS) as err:
                self.needs_user(err)
                raise
            self._healthy()
            await self.async_refresh()
            return
        self.failed()
        raise error

    async def async_refresh(self) -> None:
        """Copy the session into the state when its cookies or device changed."""
        session = await self.jobs.run(self.client.export_session)
        if session != self._stored.session:
            self._stored.session = session
            self._notify(Changed())

    async def async_keep_alive(self, interval: float, idle_since: float) -> bool:
        """Touch the session when nothing was sent for `interval` seconds (spec 8.3).

        One request (`accounts/current_user/`) within the request budget. The
        caller asks the gate first. `login_required` leads to a relogin when the
        budget has room for one; throttling starts the backoff or freeze.

        Args:
            interval: Keep-alive interval, seconds.
            idle_since: Unix seconds of the last activity the caller knows of
                (e.g. the last cycle); the last request sent counts too.

        Returns:
            True when a request was sent, False when none was due or allowed.

        Raises:
            AuthenticationFailed, TwoFactorRequired, ChallengeRequired: The user
                must answer (the caller starts reauthentication).

        """
        last = max(self.last_request_at, idle_since)
        if self._clock() - last < interval or not self._limiter.allows(Action.REQUEST):
            return False
        self.record_request()
        try:
            await self.jobs.run(self.client.keep_alive)
        except SessionExpired:
            await self._async_keep_alive_relogin()
        except USER_ACTION_ERRORS as err:
            self.needs_user(err)
            raise
        except THROTTLE_ERRORS as err:
            self._on_throttled(err, None)  # throttling counts wherever it is met
        except FATAL_ERRORS as err:
            self.needs_user(err)
        except IgAutolikerError as err:
            _LOGGER.debug("Keep-alive failed: %s", type(err).__name__)
        else:
            await self.async_refresh()
        self._notify(Changed())
        return True

    async def _async_keep_alive_relogin(self) -> None:
        """Relogin for the keep-alive: ask the user only when Instagram says so."""
        if not self.relogin_allowed():
            _LOGGER.info("Relogin waits for request budget")
            return
        try:
            await self.async_relogin()
        except THROTTLE_ERRORS as err:
            self._on_throttled(err, None)
        except (SessionExpired, CannotConnect, *FATAL_ERRORS) as err:
            _LOGGER.warning("Keep-alive relogin failed: %s", type(err).__name__)
