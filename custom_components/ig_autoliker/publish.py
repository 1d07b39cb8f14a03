"""
Entity updates where something changed (issue 11).

Home Assistant's `async_update_listeners` calls every entity of the entry; after each
of 200 targets that rewrote ~1,400 states, 200 times a cycle. Mid-cycle progress goes
through these groups instead: the entities of the target just visited, and the
account entities, each of which writes its state only when it changed. The one full
update per cycle stays Home Assistant's own, at the end of the refresh.
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
    def notify(self, pk: str | None) -> None:
        """Run the callbacks of target `pk` (None: none) and of the account."""
        for update in list(self._targets.get(pk, ())) if pk is not None else []:
            update()
        for update in list(self._account):
            update()
