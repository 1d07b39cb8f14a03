"""Blocking client calls as executor jobs whose outcome outlives a cancellation.

A cancellation (unload, stop) cannot stop a thread, and Home Assistant cancels the
executor futures of background tasks before it fires the stop event. So each job
hands its outcome to a future of our own on the event loop: `on_done` records a
success there even when nobody awaits it any more (a like Instagram confirmed is
never lost, spec QS-04).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .engine.client import InstagramClient

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def async_entry_client(
    hass: HomeAssistant, entry: ConfigEntry, session: dict[str, Any] | None
) -> InstagramClient:
    """Build the entry's InstagramClient in the executor (instagrapi reads files).

    Args:
        hass: Home Assistant.
        entry: the account's config entry (username and password in its data).
        session: the stored instagrapi settings, or None for a fresh device.

    Returns:
        The client; it has sent no request.

    Raises:
        SessionExpired: `session` cannot be loaded (malformed).

    """
    return await hass.async_add_executor_job(
        InstagramClient, entry.data[CONF_USERNAME], entry.data[CONF_PASSWORD], session
    )


class ExecutorJobs:
    """The engine's `JobRunner` on Home Assistant's executor.

    Args:
        hass: Home Assistant (its loop and executor).

    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no job in flight."""
        self._hass = hass
        #: Outcomes of calls still running in a thread.
        self.pending: set[asyncio.Future[Any]] = set()

    async def run[T](
        self,
        func: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None] | None = None,
    ) -> T:
        """Run `func(*args)` in the executor; a cancelled caller waits for it to end.

        Returns:
            What `func` returned.

        Raises:
            Whatever `func` (or `on_done`) raises; asyncio.CancelledError after a
            cancellation, once the call has ended and its outcome is recorded.

        """
        loop = self._hass.loop
        outcome: asyncio.Future[T] = loop.create_future()

        def settle(result: T | None, error: BaseException | None) -> None:
            self.pending.discard(outcome)
            if error is None and on_done is not None:
                try:
                    on_done(result)  # type: ignore[arg-type]
                except Exception as err:  # noqa: BLE001 - handed to the waiter
                    error = err
            if error is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(result)  # type: ignore[arg-type]

        def job() -> None:
            try:
                result = func(*args)
            except Exception as err:  # noqa: BLE001 - handed to the waiter
                loop.call_soon_threadsafe(settle, None, err)
            else:
                loop.call_soon_threadsafe(settle, result, None)

        # Nobody may be left to read a failure after a cancellation: read it here.
        outcome.add_done_callback(lambda done: done.cancelled() or done.exception())
        self.pending.add(outcome)
        # Home Assistant may cancel this future at stop; `outcome` is ours alone.
        self._hass.async_add_executor_job(job)
        try:
            # `wait`, not `shield`: a cancelled caller leaves `outcome` to settle.
            await asyncio.wait([outcome])
        except asyncio.CancelledError:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([outcome])
            raise
        return outcome.result()

    async def wait(self) -> None:
        """Wait until every call still running has ended (its outcome recorded)."""
        if self.pending:
            await asyncio.wait(list(self.pending))
