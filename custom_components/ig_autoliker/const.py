"""Constants of the Instagram Auto-Liker integration.

Defaults and limits come from the spec (arc42, section 8.2 "Rate-Limiting" and section
8.3 "Session-Management"); each option names the unit of its value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

DOMAIN: Final = "ig_autoliker"
LOGGER = logging.getLogger(__package__)

# Config entry data.
CONF_SESSION: Final = "session"  # handed from the config flow to the Store at setup

# Target subentries.
SUBENTRY_TYPE_TARGET: Final = "target"
CONF_TARGET_PK: Final = "pk"
CONF_LIKE_STORIES: Final = "like_stories"
CONF_LIKE_POSTS: Final = "like_posts"
CONF_ENABLED: Final = "enabled"
CONF_BACKLOG_POSTS: Final = "backlog_posts"  # older posts to like when added, count
CONF_LIKE_CURRENT_STORIES: Final = "like_current_stories"  # stories live when added

# Options (config entry options); values are seconds, percent or counts.
CONF_CYCLE_INTERVAL: Final = "cycle_interval"  # minutes
CONF_DELAY_REQUESTS: Final = "delay_between_requests"  # seconds
CONF_DELAY_LIKES: Final = "delay_between_likes"  # seconds
CONF_DELAY_ACCOUNTS: Final = "delay_between_accounts"  # seconds
CONF_JITTER: Final = "delay_jitter_percent"  # percent
CONF_MAX_REQUESTS_HOUR: Final = "max_requests_per_hour"
CONF_MAX_LIKES_HOUR: Final = "max_likes_per_hour"
CONF_MAX_STORY_VIEWS_HOUR: Final = "max_story_views_per_hour"
CONF_MAX_LIKES_DAY: Final = "max_likes_per_day"
CONF_BACKOFF_BASE: Final = "backoff_base_seconds"
CONF_BACKOFF_MAX: Final = "backoff_max_seconds"
CONF_KEEP_ALIVE: Final = "keep_alive_interval"  # minutes
# Account safety (README "Account safety").
CONF_FEEDBACK_FREEZE: Final = "feedback_freeze_hours"  # hours
CONF_WARMUP_DAYS: Final = "warmup_days"  # days; 0 = no warm-up
CONF_ACTIVE_START: Final = "active_hours_start"  # hour of day, local time
CONF_ACTIVE_END: Final = "active_hours_end"  # hour of day; start == end: always
CONF_MAX_LIKES_TARGET_CYCLE: Final = "max_likes_per_target_cycle"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """Default and allowed range of one option.

    Attributes:
        default: The spec's default (section 8.2 unless noted).
        minimum: Smallest accepted value (inclusive).
        maximum: Largest accepted value (inclusive).
        integer: True when only whole numbers make sense.

    """

    default: float
    minimum: float
    maximum: float
    integer: bool = True


#: Every option with its spec default and the range the options flow accepts.
OPTIONS: Final[dict[str, OptionSpec]] = {
    # Spec 8.3: cycle configurable, default 3600 s; at least 10 min to stay unnoticed.
    CONF_CYCLE_INTERVAL: OptionSpec(60, 10, 1440),
    CONF_DELAY_REQUESTS: OptionSpec(2.0, 0.5, 60.0, integer=False),
    CONF_DELAY_LIKES: OptionSpec(3.0, 1.0, 120.0, integer=False),
    CONF_DELAY_ACCOUNTS: OptionSpec(10.0, 1.0, 600.0, integer=False),
    CONF_JITTER: OptionSpec(30, 0, 90),
    CONF_MAX_REQUESTS_HOUR: OptionSpec(150, 10, 1000),
    CONF_MAX_LIKES_HOUR: OptionSpec(40, 1, 200),
    CONF_MAX_STORY_VIEWS_HOUR: OptionSpec(150, 1, 1000),
    CONF_MAX_LIKES_DAY: OptionSpec(800, 1, 2000),
    CONF_BACKOFF_BASE: OptionSpec(60, 10, 3600),
    CONF_BACKOFF_MAX: OptionSpec(3600, 60, 86400),
    # Spec 8.3: keep-alive every 30 min.
    CONF_KEEP_ALIVE: OptionSpec(30, 5, 720),
    # instagrapi best practices: freeze 12 h after feedback_required ("6 hours is
    # not enough"); doubled on each repeat within 7 days, at most 7 days.
    CONF_FEEDBACK_FREEZE: OptionSpec(12, 1, 168),
    # instagrapi best practices: warm accounts up gradually, over days.
    CONF_WARMUP_DAYS: OptionSpec(7, 0, 60),
    # GramAddict / InstaPy working hours; a person sleeps.
    CONF_ACTIVE_START: OptionSpec(8, 0, 23),
    CONF_ACTIVE_END: OptionSpec(23, 0, 24),
    CONF_MAX_LIKES_TARGET_CYCLE: OptionSpec(3, 1, 50),
}


class OptionSection(StrEnum):
    """The sections of the options form, in the order the form shows them."""

    PACING = "pacing"
    HOURLY_LIMITS = "hourly_limits"
    DAILY_LIMIT = "daily_limit"
    BACKOFF = "backoff"  # "Backoff and freezes"
    SESSION = "session"


#: The one table of which section shows which option (tests/test_config_flow.py fails
#: on an option without one). The options themselves are stored flat.
OPTION_SECTIONS: Final[dict[str, OptionSection]] = {
    CONF_CYCLE_INTERVAL: OptionSection.PACING,
    CONF_DELAY_REQUESTS: OptionSection.PACING,
    CONF_DELAY_LIKES: OptionSection.PACING,
    CONF_DELAY_ACCOUNTS: OptionSection.PACING,
    CONF_JITTER: OptionSection.PACING,
    CONF_MAX_REQUESTS_HOUR: OptionSection.HOURLY_LIMITS,
    CONF_MAX_LIKES_HOUR: OptionSection.HOURLY_LIMITS,
    CONF_MAX_STORY_VIEWS_HOUR: OptionSection.HOURLY_LIMITS,
    CONF_MAX_LIKES_DAY: OptionSection.DAILY_LIMIT,
    CONF_BACKOFF_BASE: OptionSection.BACKOFF,
    CONF_BACKOFF_MAX: OptionSection.BACKOFF,
    CONF_KEEP_ALIVE: OptionSection.SESSION,
    CONF_FEEDBACK_FREEZE: OptionSection.BACKOFF,
    CONF_WARMUP_DAYS: OptionSection.DAILY_LIMIT,
    CONF_ACTIVE_START: OptionSection.PACING,
    CONF_ACTIVE_END: OptionSection.PACING,
    CONF_MAX_LIKES_TARGET_CYCLE: OptionSection.PACING,
}

DEFAULT_OPTIONS: Final[dict[str, float]] = {
    key: spec.default for key, spec in OPTIONS.items()
}

# Events.
EVENT_LIKED: Final = "ig_autoliker_liked"
EVENT_CHALLENGE_REQUIRED: Final = "ig_autoliker_challenge_required"
EVENT_ACTION_BLOCKED: Final = "ig_autoliker_action_blocked"
EVENT_REAUTH_REQUIRED: Final = "ig_autoliker_reauth_required"
#: Keys of the account's event entities, and which one shows each bus event.
EVENT_ENTITY_LAST_LIKE: Final = "last_like_event"
EVENT_ENTITY_ALERT: Final = "alert"
EVENT_ENTITY_OF: Final = {
    EVENT_LIKED: EVENT_ENTITY_LAST_LIKE,
    EVENT_CHALLENGE_REQUIRED: EVENT_ENTITY_ALERT,
    EVENT_ACTION_BLOCKED: EVENT_ENTITY_ALERT,
    EVENT_REAUTH_REQUIRED: EVENT_ENTITY_ALERT,
}

# Actions.
SERVICE_RUN_CYCLE: Final = "run_cycle"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
SERVICE_ADD_TARGETS: Final = "add_targets"
ATTR_USERNAMES: Final = "usernames"

#: Options of follow mode: what is liked ("targets", "following", "both") and the
#: usernames never liked (engine/follow.py, follow_options.py).
CONF_LIKE_MODE: Final = "like_mode"
CONF_EXCLUDED_ACCOUNTS: Final = "excluded_accounts"
