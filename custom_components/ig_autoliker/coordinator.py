"""Home Assistant's side of one Instagram account: schedule, snapshot, events, repairs.

The engine (`engine/`) decides and likes; this coordinator runs its cycles on Home
Assistant's schedule, shows what it reports (entities, bus events, event entities,
repair issues) and saves its state. Cycles are planned from their start times, so a
long cycle does not push the next one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .engine.engine import MIN_CYCLE_GAP, Engine, restore_limits
from .engine.exceptions import IgAutolikerError
from .engine.safety import Act
from .errors import Context, needs_reauth, to_ha_error
from .executor import ExecutorJobs
from .options import (
    cycle_interval,
    keep_alive_interval,
    limits_from_options,
    options_of,
    safety_settings_from_options,
)
from .publish import ListenerGroups
from .reporter import EngineReporter
from .snapshot import IgAutolikerData, build_snapshot
from .targets import EntryTargets, SubentryTarget

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from .engine.client import InstagramClient
    from .store import IgAutolikerStore, StoredData

type IgAutolikerConfigEntry = ConfigEntry[IgAutolikerCoordinator]


class IgAutolikerCoordinator(DataUpdateCoordinator[IgAutolikerData]):
    """Runs the liking engine of one Instagram account inside Home Assistant.

    Args:
        hass: Home Assistant.
        entry: The account's config entry (its subentries are the targets).
        client: The blocking Instagram client, built from the entry's credentials.
        store: The entry's store; `stored` is what was loaded from it.
        stored: The account state.

    """

    config_entry: IgAutolikerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IgAutolikerConfigEntry,
        client: InstagramClient,
        store: IgAutolikerStore,
        stored: StoredData,
    ) -> None:
        """Build the engine from the stored state; no request is sent yet."""
        options = options_of(entry)
        interval = cycle_interval(options)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(seconds=interval),
        )
        self.store = store
        store.clock = self.clock
        limiter, policy = restore_limits(
            stored,
            limits_from_options(options),
            safety_settings_from_options(options),
            clock=self.clock,
            tz=dt_util.get_default_time_zone(),
        )
        #: Shows what the engine reports (events, repair issues, entities).
        self.reporter = EngineReporter(self)
        self.engine = Engine(
            client,
            stored,
            limiter,
            policy,
            targets=lambda: self.targets,
            clock=self.clock,
            # Looked up at each call: tests replace `_sleep` on the class.
            sleep=lambda seconds: self._sleep(seconds),  # noqa: PLW0108
            jobs=ExecutorJobs(hass),
            recall_posts=partial(store.async_recall_posts, stored),
            persist=lambda: store.async_save_data(self.engine.state_to_save()),
            listener=self.reporter.on_event,
            interval=interval,
        )
        self.keep_alive_interval = keep_alive_interval(options)
        #: Device models in Home Assistant's language (entity.async_device_models).
        self.device_models: dict[str, str] = {}
        #: Entities updated by mid-cycle progress (publish.py).
        self.listeners = ListenerGroups()
        self._targets = EntryTargets(entry)
        #: Enabled target pks as last seen: a pk new here gets checked at once.
        self._enabled = {target.pk for target in self.targets if target.enabled}
        self._keep_alive_task: asyncio.Task[None] | None = None
        self.reporter.sync_states()  # a freeze from before a restart: show it again

    # -- time and the engine's parts -------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        """Wait on the event loop (never in an executor thread; tests replace it)."""
        await asyncio.sleep(seconds)

    @staticmethod
    def _now() -> float:
        """Return Unix seconds from Home Assistant's clock (replaced in tests)."""
        return dt_util.utcnow().timestamp()

    def clock(self) -> float:
        """Return the engine's clock, Unix seconds (`_now`, looked up at call time)."""
        return self._now()

    @property
    def stored(self) -> StoredData:
        """The account state the engine works on."""
        return self.engine.stored

    @property
    def targets(self) -> list[SubentryTarget]:
        """The target subentries, in the order they were added."""
        return self._targets.all()

    def target(self, pk: str) -> SubentryTarget | None:
        """Return the target with `pk` as configured now, or None."""
        return self._targets.get(pk)

    # -- what the entities show ----------------------------------------------------

    def snapshot(self) -> IgAutolikerData:
        """Build what every entity shows, now."""
        return build_snapshot(self.engine, [t.pk for t in self.targets], self.clock())

    @callback
    def async_publish(self) -> None:
        """Update every entity now (a switch, keep-alive, midnight; not mid-cycle)."""
        self.data = self.snapshot()
        self.async_update_listeners()

    @callback
    def async_publish_progress(self, pk: str | None) -> None:
        """Update target `pk`'s entities and the changed account ones (mid-cycle)."""
        if self.data is None:
            return  # type: ignore[unreachable]  # setup: no entity exists yet
        fresh = [pk] if pk is not None and self.target(pk) is not None else []
        self.data = build_snapshot(self.engine, fresh, self.clock(), self.data)
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
        shown = (self.data.targets.get(pk), self.target(pk), self.last_update_success)
        self.listeners.notify_target_if_changed(pk, shown)

    @callback
    def async_schedule_save(self) -> None:
        """Save soon (the store batches the writes of a busy cycle)."""
        self.store.async_schedule_save(self.engine.state_to_save)

    async def async_save(self) -> None:
        """Write the store now, with the session as instagrapi holds it."""
        await self.engine.session.async_refresh()
        await self.store.async_save_data(self.engine.state_to_save())

    @callback
    def async_set_auto_like(self, *, enabled: bool) -> None:
        """Pause (False) or resume (True) all liking of this account."""
        self.stored.auto_like = enabled
        self.async_schedule_save()
        self.async_publish()

    # -- runs ------------------------------------------------------------------------

    async def _async_update_data(self) -> IgAutolikerData:
        """Run one cycle (the gate may skip it; a busy engine is asked again later)."""
        self.reporter.sync_states()
        retry = MIN_CYCLE_GAP
        try:
            refusal = self.engine.refusal(Act.CYCLE)
            if refusal is not None and refusal.waits_for_user:
                raise refusal.error()
            if await self.engine.async_cycle() is not None:
                retry = max(MIN_CYCLE_GAP, self.engine.next_cycle_at - self.clock())
        except IgAutolikerError as err:
            raise to_ha_error(err, Context.UPDATE, self.config_entry.title) from err
        finally:
            self.update_interval = timedelta(seconds=retry)
        return self.snapshot()

    @callback
    def async_start_cycle(self, *, user: bool = True) -> None:
        """Start a cycle in the background now (button, action, first cycle).

        `user` is True for the button and the action (a refusal by the gate raises
        ServiceValidationError, `async_check_start`) and False for the schedule.
        """
        self.async_check_start(user=user)
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} cycle {self.config_entry.title}"
        )

    @callback
    def async_check_start(self, *, user: bool = True) -> None:
        """Raise ServiceValidationError (why, until when) if a cycle cannot start."""
        refusal = self.engine.refusal(Act.CYCLE)
        if refusal is not None and (user or self.engine.session.blocked):
            title = self.config_entry.title
            raise to_ha_error(refusal.error(), Context.ACTION, title)

    @callback
    def async_targets_changed(self) -> None:
        """Targets were added, removed or switched: forget removed ones, check new."""
        self._targets.forget()  # a subentry's data changes in place
        current = {target.pk for target in self.targets}
        for pk in set(self.stored.targets) - current:
            del self.stored.targets[pk]
        enabled = {target.pk for target in self.targets if target.enabled}
        new, self._enabled = enabled - self._enabled, enabled
        self.async_schedule_save()
        self.async_publish()
        self.engine.unchecked |= new
        self.async_check_unchecked()

    @callback
    def async_check_unchecked(self) -> None:
        """Check the new targets now if the gate allows, else when it does."""
        engine = self.engine
        if engine.unchecked and not engine.busy and not engine.refusal(Act.CYCLE):
            self.config_entry.async_create_background_task(
                self.hass,
                self._async_in_background(
                    "Check of new targets", engine.async_check_targets(frozenset())
                ),
                f"{DOMAIN} check new targets {self.config_entry.title}",
            )

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
        job = self.engine.async_keep_alive(self.keep_alive_interval)
        if await self._async_in_background("Keep-alive", job):
            self.async_publish()

    async def _async_in_background[T](self, what: str, job: Awaitable[T]) -> T | None:
        """Await an engine job nobody waits for; a failure needing the user asks."""
        try:
            return await job
        except IgAutolikerError as err:
            LOGGER.warning("%s failed: %s", what, type(err).__name__)
            if needs_reauth(err):
                self.config_entry.async_start_reauth(self.hass)
            return None

    async def async_shutdown(self) -> None:
        """Stop the run and keep-alive in flight, then save (spec QS-04)."""
        task = self._keep_alive_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        await self.engine.async_shutdown()
        self.reporter.cancel()
        await super().async_shutdown()
        await self.async_save()
