"""Diagnostics: what a bug report needs, with every secret redacted.

Times are shown as ISO 8601 in UTC ("2026-01-06T20:00:00+00:00"), not as the Unix
seconds the store keeps: a reader compares them with the log and the dashboard.
Durations (the freeze length of the settings) stay in seconds.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD
from homeassistant.util import dt as dt_util

from .const import CONF_SESSION
from .engine import fairness

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import IgAutolikerConfigEntry
    from .engine.state import TargetState

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
    # The last liked item's signed CDN URL (engine/state.py, TargetState).
    "last_thumbnail",
}

#: Keys whose numbers are Unix seconds (store, targets, limiter, safety policy).
TIME_KEYS = frozenset(
    {
        "last_cycle",
        "last_story_check",
        "last_post_check",
        "last_like",
        "latest_reel_media",
        "followed_checked",
        "posts_since",
        "stories_since",
        "backoff_until",
        "feedback_last_end",
        "warmup_start",
        "since",
        "until",
        "at",  # a warning's time (engine/pace.py)
    }
)


def _target(state: TargetState) -> dict[str, Any]:
    """Return a target's state; its fair-share counts as one share, percent."""
    shown = {k: v for k, v in asdict(state).items() if not k.startswith("fair_")}
    share = fairness.share(state.fair_liked, state.fair_seen)
    shown["fair_share_percent"] = round(100 * share, 1)
    return shown


def iso_times(value: Any, key: str | None = None) -> Any:
    """Return `value` with each Unix-seconds number under a `TIME_KEYS` key in ISO 8601.

    Dicts and lists are walked; None and non-time values stay as they are.
    """
    if isinstance(value, dict):
        return {name: iso_times(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [iso_times(item) for item in value]
    if (
        key in TIME_KEYS
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        return dt_util.utc_from_timestamp(value).isoformat()
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> dict[str, Any]:
    """Return the entry, targets, limiter and policy; redacted, times in ISO 8601."""
    coordinator = entry.runtime_data
    stored = coordinator.stored
    policy = coordinator.engine.policy
    effective = policy.effective_limits(coordinator.engine.limiter.limits)
    shown: dict[str, Any] = iso_times(
        {
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
            "targets": async_redact_data(
                {pk: _target(state) for pk, state in stored.targets.items()}, TO_REDACT
            ),
            "like_outcomes": stored.like_outcomes.summary(),
            "limiter": {
                "state": coordinator.engine.limiter.state().value,
                "backoff_until": coordinator.engine.limiter.backoff_until,
                "consecutive_failures": coordinator.engine.limiter.consecutive_failures,
            },
            "safety": {
                "settings": {
                    **asdict(policy.settings),
                    # The mode, and how many accounts are excluded (not who).
                    "follow": {
                        "mode": policy.settings.follow.mode.value,
                        "excluded": len(policy.settings.follow.excluded),
                    },
                },
                "policy": policy.as_dict(),
                "warmup_fraction": policy.warmup_fraction(),
                "sleeping": policy.sleeping(),
                "effective_likes_per_hour": effective.max_likes_per_hour,
                "effective_likes_per_day": effective.max_likes_per_day,
            },
            "pace": {
                "factor": policy.pace.factor(),
                "health": policy.pace.health(
                    blocked=policy.blocked_until is not None
                ).value,
                "recent_warnings": [
                    {"kind": warning.kind.value, "at": warning.at}
                    for warning in policy.pace.recent()
                ],
            },
            "last_update_success": coordinator.last_update_success,
        }
    )
    return shown
