"""Diagnostics: what a bug report needs, with every secret redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD

from .const import CONF_SESSION

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import IgAutolikerConfigEntry

#: Keys redacted wherever they occur (nested too): credentials, cookies and device ids.
TO_REDACT = {
    CONF_PASSWORD,
    CONF_SESSION,
    "authorization",
    "authorization_data",
    "cookies",
    "sessionid",
    "ds_user_id",
    "csrftoken",
    "mid",
    "uuids",
    "device_id",
    "android_device_id",
    "phone_id",
    "uuid",
    "advertising_id",
    "client_session_id",
    "phone_number",
    "email",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> dict[str, Any]:
    """Return the entry, its targets, the limiter and the last snapshot, redacted."""
    coordinator = entry.runtime_data
    stored = coordinator.stored
    policy = coordinator.engine.policy
    effective = policy.effective_limits(coordinator.engine.limiter.limits)
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
            "subentries": [
                {"title": subentry.title, "data": dict(subentry.data)}
                for subentry in entry.subentries.values()
            ],
        },
        "session_health": coordinator.engine.session.health.value,
        "session_stored": stored.session is not None,
        "auto_like": stored.auto_like,
        "last_cycle": stored.last_cycle,
        "liked_stories": len(stored.liked_stories),
        "liked_posts": len(stored.liked_posts),
        "targets": {pk: asdict(state) for pk, state in stored.targets.items()},
        "like_outcomes": stored.like_outcomes.summary(),
        "limiter": {
            "state": coordinator.engine.limiter.state().value,
            "backoff_until": coordinator.engine.limiter.backoff_until,
            "consecutive_failures": coordinator.engine.limiter.consecutive_failures,
        },
        "safety": {
            "settings": asdict(policy.settings),
            "policy": policy.as_dict(),
            "warmup_fraction": policy.warmup_fraction(),
            "sleeping": policy.sleeping(),
            "effective_likes_per_hour": effective.max_likes_per_hour,
            "effective_likes_per_day": effective.max_likes_per_day,
        },
        "last_update_success": coordinator.last_update_success,
    }
