# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""The options form's follow-mode section: what is liked, and who never is.

`like_mode` is "targets" (the chosen target accounts), "following" (everyone the
account follows) or "both"; `excluded_accounts` is a list of normalised usernames
that are never liked. The form shows the list as text, one name a line, and takes
names, @names and profile links separated by commas, spaces or lines (the parser of
the bulk-target form, `bulk.parse_usernames`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .bulk import parse_usernames
from .compat import vol
from .const import CONF_EXCLUDED_ACCOUNTS, CONF_LIKE_MODE

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The choices of `like_mode`, as stored; labels are translated (selector.like_mode).
LIKE_MODES: Final = ("targets", "following", "both")
DEFAULT_LIKE_MODE: Final = "targets"
#: The form section holding both fields.
FOLLOW_SECTION: Final = "follow_mode"


def follow_section() -> dict[vol.Marker, Any]:
    """Return the form's follow-mode section (optional: absent keeps what is stored)."""
    fields = {
        vol.Required(CONF_LIKE_MODE, default=DEFAULT_LIKE_MODE): SelectSelector(
            SelectSelectorConfig(
                options=list(LIKE_MODES),
                translation_key=CONF_LIKE_MODE,
                mode=SelectSelectorMode.LIST,
            )
        ),
        vol.Optional(CONF_EXCLUDED_ACCOUNTS, default=""): TextSelector(
            TextSelectorConfig(multiline=True)
        ),
    }
    return {
        vol.Optional(FOLLOW_SECTION): section(
            vol.Schema(fields), SectionConfig(collapsed=False)
        )
    }


def follow_form_values(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the stored follow options as the form shows them (names one a line)."""
    excluded = options.get(CONF_EXCLUDED_ACCOUNTS) or []
    return {
        FOLLOW_SECTION: {
            CONF_LIKE_MODE: options.get(CONF_LIKE_MODE, DEFAULT_LIKE_MODE),
            CONF_EXCLUDED_ACCOUNTS: "\n".join(str(name) for name in excluded),
        }
    }


def validate_follow(
    user_input: Mapping[str, Any], stored: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """Read the follow-mode section of the options form.

    Args:
        user_input: The whole form answer (the section under `FOLLOW_SECTION`).
        stored: The options stored now; kept when the answer has no section.

    Returns:
        The options to store (`like_mode`, `excluded_accounts` as a list of
        lower-case usernames, duplicates dropped) and, when some entries are no
        username, those entries as typed, comma-separated (the form's error names
        them), else None.

    """
    answer = user_input.get(FOLLOW_SECTION)
    if answer is None:
        return {
            key: stored[key]
            for key in (CONF_LIKE_MODE, CONF_EXCLUDED_ACCOUNTS)
            if key in stored
        }, None
    mode = str(answer.get(CONF_LIKE_MODE, DEFAULT_LIKE_MODE))
    names, invalid = parse_usernames(str(answer.get(CONF_EXCLUDED_ACCOUNTS) or ""))
    options = {
        CONF_LIKE_MODE: mode if mode in LIKE_MODES else DEFAULT_LIKE_MODE,
        CONF_EXCLUDED_ACCOUNTS: names,
    }
    return options, (", ".join(invalid) if invalid else None)
