"""Every request of a cycle goes through here: budget, pause, retry, relogin, throttle.

The pacer sends one client call at a time within the request budget, after the
jittered pause between requests (spec 8.2), retries network errors exponentially for
reads (never a like whose outcome is unknown), relogs once after `login_required`
(spec 8.5) and turns Instagram's throttling into a backoff or a freeze. It stops the
cycle with `CycleStop`; what is left waits for a later cycle.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from .events import Blocked, Changed, Progress
from .exceptions import (
    CannotConnect,
    FeedbackRequired,
    PleaseWait,
    RateLimited,
    SessionExpired,
)
from .pace import WarningKind
from .planner import SINGLE_REQUEST
from .ratelimit import Action
from .safety import Act
from .session import FATAL_ERRORS, THROTTLE_ERRORS, USER_ACTION_ERRORS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .clock import Clock, Sleep
    from .events import Listener
    from .ratelimit import RateLimiter
    from .safety import Freeze, Refusal, SafetyPolicy
    from .session import SessionManager

_LOGGER = logging.getLogger(__name__)

#: Network errors of a read are retried exponentially, 3 tries (spec section 8.5).
NETWORK_TRIES: Final = 3


class CycleStop(Exception):
    """Stops the current cycle early; the rest waits for the next cycle."""


class Pacer:
    """Sends client calls for a cycle within the request budget.

    Args:
        session: Runs the calls, counts them, relogs.
        limiter: The request budget, pauses and backoff.
        policy: Freezes after Instagram's blocks.
        refusal: The engine's gate, asked before every request.
        clock: Unix seconds.
        sleep: Waits, seconds.
        listener: Receives `Blocked`, `Progress` and `Changed`.

    """

    def __init__(  # noqa: PLR0913 - the collaborators, each named
        self,
        session: SessionManager,
        limiter: RateLimiter,
        policy: SafetyPolicy,
        *,
        refusal: Callable[..., Refusal | None],
        clock: Clock,
        sleep: Sleep,
        listener: Listener,
    ) -> None:
        """Hold the collaborators."""
        self._session = session
        self._limiter = limiter
        self._policy = policy
        self._refusal = refusal
        self._clock = clock
        self._sleep = sleep
        self._notify = listener
        #: The cycle the calls belong to, for the log lines.
        self.cycle_id: str | None = None

    async def _async_pace(self, requests: int) -> None:
        """Wait the jittered request delay, or stop the cycle when not allowed."""
        if self._refusal(Act.REQUEST) is not None:
            raise CycleStop  # e.g. "Please wait": not one request before it ends
        if not self._limiter.allows(Action.REQUEST, requests):
            _LOGGER.info(
                "Request budget reached in cycle %s; the rest waits for a later cycle",
                self.cycle_id,
            )
            raise CycleStop
        last = self._session.last_request_at
        # The adaptive pace (`pace.py`) lengthens the pause; at full pace it is as set.
        delay = self._limiter.request_delay() / self._policy.pace.factor()
        wait = last + delay - self._clock()
        if wait > 0:
            await self._sleep(wait)

    def throttled(
        self, err: RateLimited | FeedbackRequired, cycle_id: str | None = None
    ) -> None:
        """Do less after Instagram throttled a request, in a cycle or a keep-alive.

        `feedback_required` and "Please wait" freeze (`safety.py`); a plain rate
        limit starts the limiter's backoff (Instagram's Retry-After when given).
        """
        if isinstance(err, FeedbackRequired):
            freeze = self._policy.feedback_required(err.feedback_message)
        elif isinstance(err, PleaseWait):
            self._policy.pace.warn(WarningKind.PLEASE_WAIT)
            freeze = self._policy.please_wait(err.instagram_message, err.retry_after)
        else:
            self._policy.pace.warn(
                WarningKind.RATE_LIMITED
                if err.retry_after is None
                else WarningKind.RETRY_AFTER
            )
            wait = self._limiter.register_failure(err.retry_after)
            _LOGGER.warning(
                "Instagram throttles the account (%s); backing off for %.0f s "
                "(cycle %s)",
                type(err).__name__,
                wait,
                cycle_id,
            )
            self._notify(Changed())
            self._notify(Progress())
            return
        self.report_freeze(freeze)

    def report_freeze(self, freeze: Freeze) -> None:
        """Log a freeze that just started and tell the listener (`Blocked`)."""
        _LOGGER.warning(
            "Instagram blocked the account (%s: %s); %s frozen until %s",
            freeze.kind,
            freeze.message or "no message",
            freeze.scope,
            freeze.until,
        )
        self._notify(Blocked(freeze))
        self._notify(Changed())
        self._notify(Progress())

    async def async_call[T](
        self,
        func: Callable[..., T],
        *args: Any,
        requests: int = SINGLE_REQUEST,
        on_done: Callable[[T], None] | None = None,
        resend: bool = True,
        before_send: Callable[[], Awaitable[None]] | None = None,
    ) -> T:
        """Send one client call within budget, with the retries of spec 8.5.

        Network errors are retried exponentially (3 tries) when `resend` allows it
        (reads; never a like whose outcome is unknown), `login_required` after one
        fresh login. A rate limit starts the backoff, `feedback_required` and
        "Please wait" a freeze; each stops the cycle. A checkpoint stops everything.
        `before_send` is awaited after the pause, right before each send (a like
        puts itself on disk there).

        Raises:
            CycleStop: Not allowed now, budget reached, or Instagram throttles.
            CannotConnect: The network failed (three times, or once without
                `resend`).
            SessionExpired: Instagram refused even a fresh session.
            AuthenticationFailed, TwoFactorRequired, ChallengeRequired,
            AccountSuspended, IpBlocked, ClientOutdated: The session is marked.
            TargetNotFound, TargetPrivate: For the caller to mark the target.

        """
        relogged = False
        for attempt in range(NETWORK_TRIES):
            await self._async_pace(requests)
            if before_send is not None:
                await before_send()
            self._session.record_request(requests)
            try:
                result = await self._session.jobs.run(func, *args, on_done=on_done)
            except CannotConnect as err:
                if err.status is not None and self._policy.pace.server_error():
                    self._notify(Changed())
                if not resend or attempt + 1 == NETWORK_TRIES:
                    self._session.failed()
                    raise
                await self._sleep(self._limiter.request_delay() * 2**attempt)
                continue
            except SessionExpired:
                if relogged:
                    # Refused right after a fresh login: the password works, so the
                    # user is not asked; this cycle fails, the next one tries again.
                    self._session.failed()
                    raise
                relogged = True
                # `login_required` on a session that worked: a warning (pace.py).
                self._policy.pace.warn(WarningKind.LOGIN_REQUIRED)
                await self._async_relogin()
                continue
            except THROTTLE_ERRORS as err:
                self.throttled(err, self.cycle_id)
                raise CycleStop from err
            except (*USER_ACTION_ERRORS, *FATAL_ERRORS) as err:
                self._session.needs_user(err)
                raise
            self._limiter.register_success()
            return result
        raise CannotConnect  # pragma: no cover - the loop returns or raises

    async def _async_relogin(self) -> None:
        """One fresh login inside a cycle, when the budget has room for it."""
        if not self._session.relogin_allowed():
            _LOGGER.info(
                "Relogin waits for request budget; cycle %s ends", self.cycle_id
            )
            raise CycleStop
        try:
            await self._session.async_relogin(self.cycle_id)
        except THROTTLE_ERRORS as throttle:
            self.throttled(throttle, self.cycle_id)
            raise CycleStop from throttle
