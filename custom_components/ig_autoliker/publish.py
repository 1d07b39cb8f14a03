"""Entity updates where something changed.

Home Assistant's `async_update_listeners` calls every entity of the entry; called
after each target of a cycle, that rewrites every target's states once per target
(quadratic in the number of targets). Here the entities of a
target listen in the target's group and write when the coordinator says that
target's state changed; the account's entities listen in the account group for
mid-cycle progress and write only a changed state. The one full update per cycle
stays Home Assistant's own, at the end of the refresh, and reaches only the
account's entities and the targets whose state changed since they were written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback

if TYPE_CHECKING:
    from homeassistant.core import CALLBACK_TYPE


class ListenerGroups:
    """Update callbacks of the entities, grouped by target pk and the account."""

    def __init__(self) -> None:
        """Start with no listener."""
        self._targets: dict[str, set[CALLBACK_TYPE]] = {}
        self._account: set[CALLBACK_TYPE] = set()
        #: What each target's entities were last written from.
        self._shown: dict[str, object] = {}

    @callback
    def add_target(self, pk: str, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` on progress of target `pk`; returns the remover."""
        group = self._targets.setdefault(pk, set())
        group.add(update)

        @callback
        def _remove() -> None:
            group.discard(update)
            if not group:
                self._targets.pop(pk, None)

        return _remove

    @callback
    def add_account(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` on any progress (it writes only a changed state)."""
        self._account.add(update)
        return lambda: self._account.discard(update)

    @callback
    def notify_target(self, pk: str) -> None:
        """Run the callbacks of target `pk`'s entities."""
        for update in list(self._targets.get(pk, ())):
            update()

    @callback
    def notify_target_if_changed(self, pk: str, shown: object) -> None:
        """Run target `pk`'s callbacks when `shown` differs from the last written."""
        if self._shown.get(pk) != shown:
            self._shown[pk] = shown
            self.notify_target(pk)

    @callback
    def notify_account(self) -> None:
        """Run the callbacks of the account's entities."""
        for update in list(self._account):
            update()
