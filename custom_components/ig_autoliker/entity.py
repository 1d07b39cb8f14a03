"""Base entities: one device for the account, one device per target subentry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from homeassistant.const import CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import translation
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import IgAutolikerConfigEntry, IgAutolikerCoordinator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity import Entity, EntityDescription
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .snapshot import TargetSnapshot
    from .targets import SubentryTarget as Target

INSTAGRAM_URL = "https://www.instagram.com/{}/"


class IgAutolikerEntity(CoordinatorEntity[IgAutolikerCoordinator]):
    """An entity of the account device.

    Its values are the integration's own bookkeeping (store and limiter), so they stay
    available when a cycle fails: "Session health" must show *why* then.
    """

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: IgAutolikerCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to the account device; unique_id `<account pk>_<key>`."""
        super().__init__(coordinator)
        self.entity_description = description
        account_pk = str(coordinator.config_entry.unique_id)
        self._attr_unique_id = f"{account_pk}_{description.key}"
        self._attr_device_info = account_device_info(
            coordinator.config_entry.data[CONF_USERNAME],
            account_pk,
            coordinator.device_models["account"],
        )

    _written: tuple[bool, Any, Any] | None = None

    @property
    def available(self) -> bool:
        """Always available while the entry is loaded."""
        return True

    async def async_added_to_hass(self) -> None:
        """Also follow mid-cycle progress, writing only a changed state."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.listeners.add_account(self._on_progress))

    def _shown_now(self) -> tuple[bool, Any, Any]:
        """Availability, state and attributes (a block's end may move while on)."""
        return (self.available, self.state, self.extra_state_attributes)

    @callback
    def _on_progress(self) -> None:
        if self._shown_now() != self._written:
            self._handle_coordinator_update()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state and remember it (see `_on_progress`)."""
        self._written = self._shown_now()
        super()._handle_coordinator_update()


def _via_account(coordinator: IgAutolikerCoordinator, account_pk: str) -> DeviceInfo:
    """Link a target device to the account device.

    Home Assistant 2026.10 links by device id (`via_device_id`) and deprecates
    `via_device`; 2026.6 knows only `via_device`. The account device is registered
    in `async_setup_entry` before any platform, so its id is there to find.
    """
    identifier = (DOMAIN, account_pk)
    if "via_device_id" not in DeviceInfo.__annotations__:
        return cast("DeviceInfo", {"via_device": identifier})
    device = dr.async_get(coordinator.hass).async_get_device_by_identifier(
        identifier, coordinator.config_entry.entry_id
    )
    return {} if device is None else DeviceInfo(via_device_id=device.id)


#: Device model -> its English text (translations: `device.<model>.name`).
DEVICE_MODELS = {"account": "Account", "target": "Target account"}


async def async_device_models(hass: HomeAssistant) -> dict[str, str]:
    """Return the device models in Home Assistant's language.

    Device registry entries hold a model as plain text, so it is looked up once
    per setup from the integration's translations (`device.account.name` ...).
    """
    strings = await translation.async_get_translations(
        hass, hass.config.language, "device", {DOMAIN}
    )
    return {
        model: strings.get(f"component.{DOMAIN}.device.{model}.name", english)
        for model, english in DEVICE_MODELS.items()
    }


def account_device_info(username: str, account_pk: str, model: str) -> DeviceInfo:
    """Describe the account device: one per config entry, named after the username.

    It is the hub of the entry's target devices, so neither it nor they are
    `DeviceEntryType.SERVICE` entries (the frontend would title their pages "Service
    info" and not nest the targets under the account). `entry_type=None` is given,
    not left out, so that devices an earlier version registered as services change.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, account_pk)},
        name=username,
        manufacturer="Instagram",
        model=model,
        entry_type=None,
        configuration_url=INSTAGRAM_URL.format(username),
    )


class IgAutolikerTargetEntity(CoordinatorEntity[IgAutolikerCoordinator]):
    """An entity of a target device (one device per target subentry)."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: IgAutolikerCoordinator,
        target: Target,
        description: EntityDescription,
    ) -> None:
        """Attach to the target device; unique_id `<account>_<target>_<key>`."""
        super().__init__(coordinator)
        self.entity_description = description
        self.subentry_id = target.subentry_id
        self.target_pk = target.pk
        account_pk = str(coordinator.config_entry.unique_id)
        self._attr_unique_id = f"{account_pk}_{target.pk}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{account_pk}_{target.pk}")},
            name=target.username,
            manufacturer="Instagram",
            model=coordinator.device_models["target"],
            entry_type=None,  # a device of the account's hub (account_device_info)
            configuration_url=INSTAGRAM_URL.format(target.username),
            **_via_account(coordinator, account_pk),
        )

    @property
    def target(self) -> Target | None:
        """The target as configured now, or None once its subentry is gone."""
        return self.coordinator.target(self.target_pk)

    async def async_added_to_hass(self) -> None:
        """Listen in the target's group (publish.py)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.listeners.add_target(
                self.target_pk, self.async_write_ha_state
            )
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        """Ignore the coordinator's every-entity update.

        The coordinator writes this target's entities through its group when
        their state changed: 1,400 writes per update at 200 targets were the
        loop's longest stall.
        """

    @property
    def snapshot(self) -> TargetSnapshot | None:
        """What the last update knows of this target."""
        return self.coordinator.data.targets.get(self.target_pk)

    @property
    def available(self) -> bool:
        """Unavailable while the target is gone, private or otherwise in error."""
        snapshot = self.snapshot
        return snapshot is not None and snapshot.error is None


@callback
def async_add_target_entities(
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[IgAutolikerCoordinator, Target], Iterable[Entity]],
) -> None:
    """Add a target's entities now and for every target subentry added later."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    @callback
    def _add_new_targets() -> None:
        for target in coordinator.targets:
            if target.subentry_id in known:
                continue
            known.add(target.subentry_id)
            async_add_entities(
                factory(coordinator, target), config_subentry_id=target.subentry_id
            )

    _add_new_targets()
    entry.async_on_unload(coordinator.async_add_listener(_add_new_targets))
