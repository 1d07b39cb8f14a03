# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""The account's options: read into the engine's settings, and the options form.

The one module that knows the option keys and ranges (`const.OPTIONS`) on the way into
the engine: `limits_from_options` and `safety_settings_from_options` build the
engine's `Limits` and `SafetySettings`, `cycle_interval` and `keep_alive_interval`
give the two schedules in seconds. All of them read each value through one parser,
`option_value`, so a stored value that is missing, no number or out of range means
the same everywhere. The options flow (`options_flow.py`) shows and checks the form
built here.
"""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import PERCENTAGE, UnitOfTime
from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .compat import vol
from .const import (
    CONF_ACTIVE_END,
    CONF_ACTIVE_START,
    CONF_BACKOFF_BASE,
    CONF_BACKOFF_MAX,
    CONF_CYCLE_INTERVAL,
    CONF_DELAY_ACCOUNTS,
    CONF_DELAY_LIKES,
    CONF_DELAY_REQUESTS,
    CONF_EXCLUDED_ACCOUNTS,
    CONF_FEEDBACK_FREEZE,
    CONF_JITTER,
    CONF_KEEP_ALIVE,
    CONF_LIKE_MODE,
    CONF_MAX_LIKES_DAY,
    CONF_MAX_LIKES_HOUR,
    CONF_MAX_LIKES_TARGET_CYCLE,
    CONF_MAX_REQUESTS_HOUR,
    CONF_MAX_STORY_VIEWS_HOUR,
    CONF_WARMUP_DAYS,
    DEFAULT_OPTIONS,
    OPTION_SECTIONS,
    OPTIONS,
    OptionSection,
)
from .engine.clock import HOUR
from .engine.follow import FollowSettings, LikeMode
from .engine.ratelimit import Limits
from .engine.safety import SafetySettings

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Seconds per minute; the two schedule options are minutes.
_MINUTE: Final = 60.0

#: Units shown next to the option fields; the others are plain counts.
OPTION_UNITS: Final[dict[str, str]] = {
    CONF_CYCLE_INTERVAL: UnitOfTime.MINUTES,
    CONF_DELAY_REQUESTS: UnitOfTime.SECONDS,
    CONF_DELAY_LIKES: UnitOfTime.SECONDS,
    CONF_DELAY_ACCOUNTS: UnitOfTime.SECONDS,
    CONF_JITTER: PERCENTAGE,
    CONF_BACKOFF_BASE: UnitOfTime.SECONDS,
    CONF_BACKOFF_MAX: UnitOfTime.SECONDS,
    CONF_KEEP_ALIVE: UnitOfTime.MINUTES,
    CONF_FEEDBACK_FREEZE: UnitOfTime.HOURS,
    CONF_WARMUP_DAYS: UnitOfTime.DAYS,
}


# ------------------------------------------------------------- reading them --


def options_of(source: ConfigEntry[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """Return every option: the spec defaults, overridden by the stored options."""
    stored = source.options if isinstance(source, ConfigEntry) else source
    return {**DEFAULT_OPTIONS, **stored}


def option_value(options: Mapping[str, Any], key: str) -> float:
    """Return the option `key` of `options` as a number inside its range.

    A missing value, or one that is not a finite number (a bool or a string is none),
    takes the spec default; a value outside the range (`const.OPTIONS`) is clamped
    into it; a whole-number option is rounded, because number selectors hand floats.
    """
    spec = OPTIONS[key]
    value = options.get(key)
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # an int too large for a float
            number = float(value)
    if not math.isfinite(number):
        number = float(spec.default)
    number = min(max(number, spec.minimum), spec.maximum)
    return float(round(number)) if spec.integer else number


def _whole(options: Mapping[str, Any], key: str) -> int:
    """Return a whole-number option (a count, percent or hour) as an int."""
    return round(option_value(options, key))


def limits_from_options(options: Mapping[str, Any]) -> Limits:
    """Build the rate limiter's limits from the options; always valid.

    `backoff_multiplier` is no option and keeps its default (2.0).
    """
    return Limits(
        delay_between_requests=option_value(options, CONF_DELAY_REQUESTS),
        delay_between_likes=option_value(options, CONF_DELAY_LIKES),
        delay_between_accounts=option_value(options, CONF_DELAY_ACCOUNTS),
        jitter_percent=_whole(options, CONF_JITTER),
        max_requests_per_hour=_whole(options, CONF_MAX_REQUESTS_HOUR),
        max_likes_per_hour=_whole(options, CONF_MAX_LIKES_HOUR),
        max_story_views_per_hour=_whole(options, CONF_MAX_STORY_VIEWS_HOUR),
        max_likes_per_day=_whole(options, CONF_MAX_LIKES_DAY),
        backoff_base=option_value(options, CONF_BACKOFF_BASE),
        backoff_max=option_value(options, CONF_BACKOFF_MAX),
    )


def safety_settings_from_options(options: Mapping[str, Any]) -> SafetySettings:
    """Build the account-safety settings from the options (the freeze is hours)."""
    return SafetySettings(
        feedback_freeze=_whole(options, CONF_FEEDBACK_FREEZE) * HOUR,
        warmup_days=_whole(options, CONF_WARMUP_DAYS),
        active_start=_whole(options, CONF_ACTIVE_START),
        active_end=_whole(options, CONF_ACTIVE_END),
        max_likes_per_target_cycle=_whole(options, CONF_MAX_LIKES_TARGET_CYCLE),
        follow=follow_settings_from_options(options),
    )


def cycle_interval(options: Mapping[str, Any]) -> float:
    """Return the time between two cycles, seconds (the option is minutes)."""
    return option_value(options, CONF_CYCLE_INTERVAL) * _MINUTE


def keep_alive_interval(options: Mapping[str, Any]) -> float:
    """Return the time without a request after which the session is touched, seconds."""
    return option_value(options, CONF_KEEP_ALIVE) * _MINUTE


# ----------------------------------------------------------------- the form --


def options_schema() -> vol.Schema:
    """Build the options form: a section per `OptionSection`, a number box per option.

    Options keep the order of OPTIONS within their section (OPTION_SECTIONS). The
    boxes carry no min/max: the flow checks ranges itself, so an out-of-range value
    gets a translated error naming the field on its section (`section_errors`)
    instead of a generic schema error.
    """
    sections: dict[OptionSection, dict[vol.Marker, NumberSelector]] = {
        name: {} for name in OptionSection
    }
    for key, spec in OPTIONS.items():
        config = NumberSelectorConfig(
            mode=NumberSelectorMode.BOX, step=1 if spec.integer else 0.1
        )
        if unit := OPTION_UNITS.get(key):
            config["unit_of_measurement"] = unit
        sections[OPTION_SECTIONS[key]][vol.Required(key, default=spec.default)] = (
            NumberSelector(config)
        )
    return vol.Schema(
        {
            vol.Required(name.value): section(
                vol.Schema(fields), SectionConfig(collapsed=False)
            )
            for name, fields in sections.items()
            if fields
        }
    )


def flat_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options form's answer without its sections (stored flat)."""
    return {
        key: value
        for name in OptionSection
        for key, value in user_input.get(name.value, {}).items()
    }


def sectioned_options(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return flat option values as the sectioned form expects them."""
    nested: dict[str, dict[str, Any]] = {name.value: {} for name in OptionSection}
    for key, value in options.items():
        if key in OPTION_SECTIONS:
            nested[OPTION_SECTIONS[key].value][key] = value
    return nested


def option_error(key: str) -> str:
    """Return the form error of option `key` outside its range or not a whole number.

    One translated message per option names the field and what it takes ("Likes
    per hour must be a whole number from 1 to 200."): Home Assistant's form shows a
    section's error above the section, not at the field inside it, so the message
    says which field it is (mqtt's options flow gives each field its own error key
    the same way).
    """
    return f"invalid_{key}"


def validate_options(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, float], dict[str, str]]:
    """Check every option against its range and type, then backoff base <= max.

    Unlike `option_value`, nothing is clamped or defaulted here: the user sees what
    is wrong instead of a silently different value.

    Returns:
        The options to store (ints where the spec wants whole numbers) and the
        per-field error keys (`option_error(key)`, or "backoff_order" on the backoff
        start); the options are only complete without errors.

    """
    options: dict[str, float] = {}
    errors: dict[str, str] = {}
    for key, spec in OPTIONS.items():
        value = float(user_input[key])
        if (
            not math.isfinite(value)
            or not spec.minimum <= value <= spec.maximum
            or (spec.integer and not value.is_integer())
        ):
            errors[key] = option_error(key)
        else:
            options[key] = int(value) if spec.integer else value
    if not errors and options[CONF_BACKOFF_BASE] > options[CONF_BACKOFF_MAX]:
        errors[CONF_BACKOFF_BASE] = "backoff_order"
    return options, errors


def section_errors(field_errors: Mapping[str, str]) -> dict[str, str]:
    """Return the form errors: each section shows the error of its first wrong field.

    Home Assistant keys the errors of fields in a section by the section (its form
    shows them above the section); the field comes first in the form's order.
    """
    errors: dict[str, str] = {}
    for key in OPTIONS:
        if key in field_errors:
            errors.setdefault(OPTION_SECTIONS[key].value, field_errors[key])
    return errors


def follow_settings_from_options(options: Mapping[str, Any]) -> FollowSettings:
    """Read follow mode from the options (`like_mode`, `excluded_accounts`).

    An unknown mode reads as `targets` (nothing changes for the user); excluded
    usernames are stripped of `@` and spaces and lower-cased, empty ones dropped.
    """
    try:
        mode = LikeMode(options.get(CONF_LIKE_MODE, LikeMode.TARGETS))
    except ValueError:
        mode = LikeMode.TARGETS
    names = options.get(CONF_EXCLUDED_ACCOUNTS, [])
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    excluded = frozenset(
        name.strip().lstrip("@").strip().lower()
        for name in names
        if isinstance(name, str) and name.strip().lstrip("@").strip()
    )
    return FollowSettings(mode=mode, excluded=excluded)
