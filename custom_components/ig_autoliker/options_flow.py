# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Options flow of the Instagram Auto-Liker: follow mode, pacing, limits, safety."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload

from .compat import vol
from .follow_options import (
    FOLLOW_SECTION,
    follow_form_values,
    follow_section,
    validate_follow,
)
from .options import (
    flat_options,
    options_of,
    options_schema,
    section_errors,
    sectioned_options,
    validate_options,
)


class IgAutolikerOptionsFlow(OptionsFlowWithReload):
    """Tune pacing, limits and backoff; the entry reloads when they change."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show all options with their current values and validate them."""
        errors: dict[str, str] = {}
        placeholders = {"invalid": "-"}
        stored = options_of(self.config_entry)
        if user_input is not None:
            flat = flat_options(user_input)
            options, field_errors = validate_options(flat)
            follow, invalid = validate_follow(user_input, stored)
            if not field_errors and invalid is None:
                return self.async_create_entry(data={**options, **follow})
            # On the wrong field's section, naming the field (options.section_errors).
            errors = section_errors(field_errors)
            if invalid is not None:
                errors[FOLLOW_SECTION] = "invalid_excluded"
                placeholders["invalid"] = invalid
        suggested = flat_options(user_input) if user_input is not None else stored
        follow_values = (
            {FOLLOW_SECTION: user_input[FOLLOW_SECTION]}
            if user_input is not None and FOLLOW_SECTION in user_input
            else follow_form_values(stored)
        )
        schema = vol.Schema({**follow_section(), **options_schema().schema})
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, {**follow_values, **sectioned_options(suggested)}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
