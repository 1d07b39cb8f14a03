"""The Instagram Auto-Liker integration: likes new stories and posts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import (
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryError,
    UnsupportedStorageVersionError,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import (
    async_call_later,
    async_track_time_change,
    async_track_time_interval,
)

from . import removal
from .const import CONF_SESSION, DOMAIN
from .coordinator import IgAutolikerConfigEntry, IgAutolikerCoordinator
from .engine.exceptions import IgAutolikerError, SessionExpired
from .entity import account_device_info, async_device_models
from .errors import Context, to_ha_error
from .executor import async_entry_client
from .services import async_setup_services
from .store import IgAutolikerStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

#: How often to check whether a keep-alive is due (the interval itself is an option).
KEEP_ALIVE_CHECK = timedelta(minutes=5)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: IgAutolikerConfigEntry) -> bool:
    """Load the store, validate the session and start the cycles.

    Validating a saved session costs one request (`accounts/current_user/`); a
    session the config flow has just handed over is not validated again.
    """
    store = IgAutolikerStore(hass, entry.entry_id)
    try:
        stored = await store.async_load_data()
    except UnsupportedStorageVersionError as err:
        # Written by a newer version: refuse rather than overwrite it with less.
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key="store_too_new"
        ) from err
    # The config flow hands its fresh session over through the entry data; from
    # here on it lives only in the store. The flow has just read the account with
    # it, so this setup does not validate it again.
    handed_over = (session := entry.data.get(CONF_SESSION)) is not None
    if handed_over:
        stored.session = session
        await store.async_save_data(stored)
        hass.config_entries.async_update_entry(
            entry,
            data={
                key: value for key, value in entry.data.items() if key != CONF_SESSION
            },
        )
    lost = list(store.lost)
    try:
        api = await async_entry_client(hass, entry, stored.session)
    except SessionExpired:
        # Hand-edited or half-migrated: a fresh login (or reauth) replaces it.
        lost.append("session")
        stored.session = None
        handed_over = False
        api = await async_entry_client(hass, entry, None)
    store.async_report_lost(entry.title, lost)
    coordinator = IgAutolikerCoordinator(hass, entry, api, store, stored)
    try:
        if handed_over:
            # Sends nothing, so no freeze or backoff has anything to refuse here.
            await coordinator.engine.session.async_login(just_signed_in=True)
        else:
            await coordinator.engine.async_login()
    except IgAutolikerError as err:
        # A backoff must outlive the setup retry; the reauth flow logs in again
        # with the device that met the checkpoint.
        await coordinator.async_save()
        raise to_ha_error(err, Context.SETUP, entry.title) from err
    coordinator.data = coordinator.snapshot()
    coordinator.device_models = await async_device_models(hass)
    entry.runtime_data = coordinator
    # The account device first: target devices link to it by its id.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        **account_device_info(
            entry.data[CONF_USERNAME],
            str(entry.unique_id),
            coordinator.device_models["account"],
        ),
    )

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Targets added, removed or switched show without a reload. Not an update
    # listener: options and reauthentication reload through their flows.
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed(entry)
        )
    )
    entry.async_on_unload(
        async_track_time_interval(
            hass, coordinator.async_schedule_keep_alive, KEEP_ALIVE_CHECK
        )
    )

    # "Likes today" starts again at local midnight even when no cycle runs then.
    # A @callback: Home Assistant runs any other plain function in the executor,
    # where the entities may not write their states.
    @callback
    def _midnight(_now: datetime) -> None:
        coordinator.async_publish()

    entry.async_on_unload(
        async_track_time_change(hass, _midnight, hour=0, minute=0, second=0)
    )

    async def _async_on_stop(_event: Event) -> None:
        await coordinator.async_shutdown()

    # Not `async_listen_once`: its remover logs a traceback when an unload follows
    # the stop event that already removed it.
    entry.async_on_unload(
        hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_on_stop)
    )
    entry.async_on_unload(
        async_call_later(
            hass, _first_cycle_delay(coordinator), _start_cycle(coordinator)
        )
    )
    return True


def _first_cycle_delay(coordinator: IgAutolikerCoordinator) -> float:
    """Seconds until the first cycle: the schedule goes on across restarts."""
    if coordinator.stored.last_cycle is None:
        return 0.0
    return max(0.0, coordinator.engine.next_cycle_at - coordinator.clock())


def _start_cycle(coordinator: IgAutolikerCoordinator) -> Callable[[datetime], None]:
    """Build the timer callback that starts the first cycle."""

    @callback
    def _start(_now: datetime) -> None:
        # A timer callback must not raise: while reauthentication is pending, the
        # reloaded entry starts the cycles.
        if not coordinator.engine.session.blocked:
            coordinator.async_start_cycle(user=False)

    return _start


def _entry_changed(
    entry: IgAutolikerConfigEntry,
) -> Callable[[ConfigEntryChange, ConfigEntry], None]:
    @callback
    def _changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        if change is ConfigEntryChange.UPDATED and changed.entry_id == entry.entry_id:
            entry.runtime_data.async_targets_changed()

    return _changed


async def async_unload_entry(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> bool:
    """Stop the cycle in flight (its current call completes), save, unload."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_shutdown()
    return unloaded


async def async_remove_entry(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> None:
    """Delete the store, history and repair issues; end the Instagram session."""
    await removal.async_remove_entry(hass, entry)
