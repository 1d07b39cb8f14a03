"""Describe the integration's bus events for the logbook (the account's Activity).

As `homeassistant/components/doorbird/logbook.py` does: the logbook calls
`async_describe_events` once and then each describer per recorded event. An entry
reads "<account> liked nat_geo_demo's story": every text has the account as its
subject. So an entry links no entity: Home Assistant's frontend (2026.10,
`ha-logbook-entry`) shows a linked entity's own name in place of the entry's name,
and "Last like liked nat_geo_demo's story" would be the result. Where the entry is
listed is up to the event's `device_id` and `entity_id` (activity.py).

The logbook has no translation hook (no core `logbook.py` translates its texts), so
the texts are the integration's translations, category "exceptions" (the category
that takes free texts with placeholders in Home Assistant's translation schema),
keys `logbook_*`. Home Assistant loads an integration's translations for its
language when it sets the integration up and again when the language changes, so
the describer reads them from that cache (`async_get_cached_translations`): no I/O
per row, and the rows follow the language set now. The describer also runs in the
recorder's thread (history queries), so it only reads; a change of language loads
the texts on the event loop (`_async_follow_language`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import translation

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    DOMAIN,
    EVENT_ACTION_BLOCKED,
    EVENT_CHALLENGE_REQUIRED,
    EVENT_LIKED,
    EVENT_REAUTH_REQUIRED,
)
from .engine.models import MediaKind

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: The translation category of the logbook texts (see the module docstring).
CATEGORY = "exceptions"


def _liked(data: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    kind = str(data.get("kind"))
    # One text per kind: German needs the article of each ("die Story", "das Foto").
    key = f"logbook_liked_{kind}" if kind in set(MediaKind) else "logbook_liked"
    return key, {"target": str(data.get("target", "?"))}


def _blocked(data: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    return "logbook_action_blocked", {
        "kind": str(data.get("kind", "?")),
        "until": str(data.get("until", "?")),
    }


#: Event type -> the icon of its logbook entry: the event entity's icon for it
#: (icons.json); without one the logbook page shows an empty square.
ICONS: dict[str, str] = {
    EVENT_LIKED: "mdi:heart-plus",
    EVENT_CHALLENGE_REQUIRED: "mdi:shield-alert",
    EVENT_REAUTH_REQUIRED: "mdi:account-key",
    EVENT_ACTION_BLOCKED: "mdi:hand-back-left-off",
}

#: Event type -> function of the event data that returns the translation key of the
#: entry's message and its placeholders.
MESSAGES: dict[str, Callable[[Mapping[str, Any]], tuple[str, dict[str, str]]]] = {
    EVENT_LIKED: _liked,
    EVENT_CHALLENGE_REQUIRED: lambda _data: ("logbook_challenge_required", {}),
    EVENT_REAUTH_REQUIRED: lambda _data: ("logbook_reauth_required", {}),
    EVENT_ACTION_BLOCKED: _blocked,
}


@callback
def message(hass: HomeAssistant, key: str, placeholders: Mapping[str, str]) -> str:
    """Return a logbook text in Home Assistant's language (English where missing).

    Args:
        hass: Home Assistant; its translation cache holds the integration's texts
            once the integration is set up.
        key: The key under `exceptions` in translations/<language>.json.
        placeholders: The text's placeholders, e.g. {"target": "chef_demo"}.

    Returns:
        The text with its placeholders filled in; the key itself when no
        translation is cached (never raises). Safe in any thread: it only reads.

    """
    path = f"component.{DOMAIN}.{CATEGORY}.{key}.message"
    for language in (hass.config.language, "en"):
        strings = translation.async_get_cached_translations(
            hass, language, CATEGORY, DOMAIN
        )
        if (template := strings.get(path)) is not None:
            try:
                return template.format(**placeholders)
            except KeyError, IndexError, ValueError:
                continue  # a broken translation: fall back to English
    return key


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
        event_type = str(event.event_type)
        key, placeholders = MESSAGES[event_type](event.data)
        return {
            LOGBOOK_ENTRY_NAME: entry.title if entry is not None else "Instagram",
            LOGBOOK_ENTRY_MESSAGE: message(hass, key, placeholders),
            LOGBOOK_ENTRY_ICON: ICONS[event_type],
        }

    for event_type in MESSAGES:
        async_describe_event(DOMAIN, event_type, _describe)
    _async_follow_language(hass)


@callback
def _async_follow_language(hass: HomeAssistant) -> None:
    """Load the texts of a newly set language, so the next rows use it.

    Home Assistant's bootstrap does the same for every loaded integration
    (`translation.async_setup`); doing it here keeps the rows right wherever that
    listener is not set up, and costs nothing where it is (the cache answers).
    """

    @callback
    def _language_set(data: Mapping[str, Any]) -> bool:
        return "language" in data

    async def _load(_event: Event) -> None:
        await translation.async_load_integrations(hass, {DOMAIN})

    hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _load, event_filter=_language_set)
