"""Describe the integration's bus events for the logbook (the account's Activity).

As `homeassistant/components/shelly/logbook.py` does: the logbook calls
`async_describe_events` once and then each describer per recorded event. An entry
reads "<account> liked nat_geo_demo's story". Logbook texts are English in every
core integration (the logbook has no translation hook for them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    DOMAIN,
    EVENT_ACTION_BLOCKED,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_LIKED,
    EVENT_REAUTH_REQUIRED,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def _liked(data: Mapping[str, Any]) -> str:
    return f"liked {data.get('target', '?')}'s {data.get('kind', 'post')}"


def _challenge(_data: Mapping[str, Any]) -> str:
    return "was asked by Instagram for a security check; liking is paused"


def _reauth(_data: Mapping[str, Any]) -> str:
    return "must sign in to Instagram again; liking is paused"


def _blocked(data: Mapping[str, Any]) -> str:
    until = f" until {data['until']}" if data.get("until") else ""
    kind = f" ({data['kind']})" if data.get("kind") else ""
    return f"was blocked by Instagram from liking{kind}{until}"


#: Event type -> the icon of its logbook entry: the event entity's icon for it
#: (icons.json); without one the logbook page shows an empty square.
ICONS: dict[str, str] = {
    EVENT_LIKED: "mdi:heart-plus",
    EVENT_CHALLENGE_REQUIRED: "mdi:shield-alert",
    EVENT_REAUTH_REQUIRED: "mdi:account-key",
    EVENT_ACTION_BLOCKED: "mdi:hand-back-left-off",
}

#: Event type -> the message of its logbook entry.
MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    EVENT_LIKED: _liked,
    EVENT_CHALLENGE_REQUIRED: _challenge,
    EVENT_REAUTH_REQUIRED: _reauth,
    EVENT_ACTION_BLOCKED: _blocked,
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe every bus event of the integration for the logbook."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        entry = hass.config_entries.async_get_entry(
            str(event.data.get(ATTR_CONFIG_ENTRY_ID))
        )
        name = entry.title if entry is not None else "Instagram Auto-Liker"
        event_type = str(event.event_type)
        return {
            LOGBOOK_ENTRY_NAME: name,
            LOGBOOK_ENTRY_MESSAGE: MESSAGES[event_type](event.data),
            LOGBOOK_ENTRY_ICON: ICONS[event_type],
        }

    for event_type in MESSAGES:
        async_describe_event(DOMAIN, event_type, _describe)
