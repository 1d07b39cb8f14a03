"""The target subentries of an entry, as the engine sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.const import CONF_USERNAME

from .const import (
    CONF_BACKLOG_POSTS,
    CONF_ENABLED,
    CONF_LIKE_CURRENT_STORIES,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_TARGET_PK,
    SUBENTRY_TYPE_TARGET,
)
from .engine.models import Target

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry


@dataclass(frozen=True, slots=True)
class SubentryTarget(Target):
    """A target plus the subentry that configures it (its device and entities)."""

    subentry_id: str = ""


def read_targets(entry: ConfigEntry) -> list[SubentryTarget]:
    """Return the entry's target subentries in the order they were added."""
    return [
        SubentryTarget(
            subentry_id=subentry.subentry_id,
            pk=str(subentry.data[CONF_TARGET_PK]),
            username=str(subentry.data[CONF_USERNAME]),
            enabled=bool(subentry.data.get(CONF_ENABLED, True)),
            like_stories=bool(subentry.data.get(CONF_LIKE_STORIES, True)),
            like_posts=bool(subentry.data.get(CONF_LIKE_POSTS, True)),
            backlog_posts=(
                int(subentry.data[CONF_BACKLOG_POSTS])
                if CONF_BACKLOG_POSTS in subentry.data
                else None
            ),
            like_current_stories=bool(
                subentry.data.get(CONF_LIKE_CURRENT_STORIES, True)
            ),
        )
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TYPE_TARGET
    ]


class EntryTargets:
    """The targets of one config entry, parsed again only when its subentries change.

    Home Assistant replaces the entry's `subentries` mapping on every add or
    removal; an edit in place (reconfigure) needs `forget()`.
    """

    def __init__(self, entry: ConfigEntry) -> None:
        """Parse nothing yet."""
        self._entry = entry
        self._read: tuple[object, list[SubentryTarget]] | None = None

    def all(self) -> list[SubentryTarget]:
        """Return the targets, in the order they were added."""
        subentries = self._entry.subentries
        if self._read is None or self._read[0] is not subentries:
            self._read = (subentries, read_targets(self._entry))
        return self._read[1]

    def get(self, pk: str) -> SubentryTarget | None:
        """Return the target with `pk`, or None."""
        return next((t for t in self.all() if t.pk == pk), None)

    def forget(self) -> None:
        """Parse again at the next look (a subentry's data changed in place)."""
        self._read = None
