"""What removing an account's config entry does beyond Home Assistant's own cleanup.

The store, the like history and every repair issue of the entry go at once. The
Instagram session the entry leaves behind is ended on Instagram's side as well (one
`accounts/logout/` request), so the cookies stop working there: best effort, in the
background, never holding up the removal, and only when the gate would let one
request through (no freeze, backoff, checkpoint or suspension; the hourly request
budget not spent).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.util import dt as dt_util

from . import issues
from .const import DOMAIN
from .engine.engine import restore_limits
from .engine.exceptions import IgAutolikerError
from .engine.ratelimit import Action
from .engine.safety import Act
from .executor import async_entry_client
from .options import limits_from_options, options_of, safety_settings_from_options
from .store import IgAutolikerStore

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .store import StoredData

_LOGGER = logging.getLogger(__name__)


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete the entry's store, history and repair issues; log out (background)."""
    store = IgAutolikerStore(hass, entry.entry_id)
    try:
        stored: StoredData | None = await store.async_load_data()
    except UnsupportedStorageVersionError:
        stored = None  # written by a newer version: removed all the same
    waits_for_user = issues.session_waits_for_user(hass, entry.entry_id)
    await store.async_remove()
    issues.async_delete_all(hass, entry.entry_id)
    if stored is None or not stored.session or waits_for_user:
        return
    if not _one_request_allowed(entry, stored):
        _LOGGER.info(
            "Not logging %s out of Instagram: no request allowed now", entry.title
        )
        return
    hass.async_create_background_task(
        _async_log_out(hass, entry, stored), f"{DOMAIN} log out {entry.title}"
    )


def _one_request_allowed(entry: ConfigEntry, stored: StoredData) -> bool:
    """Ask the gate and the request budget as the engine would (no HA state)."""
    options = options_of(entry)
    limiter, policy = restore_limits(
        stored,
        limits_from_options(options),
        safety_settings_from_options(options),
        clock=lambda: dt_util.utcnow().timestamp(),
        tz=dt_util.get_default_time_zone(),
    )
    refusal = policy.refusal(
        Act.REQUEST,
        session_blocked=False,
        suspended=False,
        auto_like=stored.auto_like,
        backoff_until=limiter.backoff_until,
    )
    return refusal is None and limiter.allows(Action.REQUEST)


async def _async_log_out(
    hass: HomeAssistant, entry: ConfigEntry, stored: StoredData
) -> None:
    """Send the one logout request; a failure is logged, never raised."""
    try:
        client = await async_entry_client(hass, entry, stored.session)
        await hass.async_add_executor_job(client.logout)
    except IgAutolikerError as err:
        _LOGGER.info(
            "Could not log %s out of Instagram: %s", entry.title, type(err).__name__
        )
    else:
        _LOGGER.info("Logged %s out of Instagram", entry.title)
