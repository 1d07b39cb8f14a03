# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Options flow of the Instagram Auto-Liker: pacing, limits, backoff and safety."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload

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
        if user_input is not None:
            flat = flat_options(user_input)
            options, field_errors = validate_options(flat)
            if not field_errors:
                return self.async_create_entry(data=options)
            # On the wrong field's section, naming the field (options.section_errors).
            errors = section_errors(field_errors)
        suggested = (
            flat_options(user_input)
            if user_input is not None
            else options_of(self.config_entry)
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(), sectioned_options(suggested)
            ),
            errors=errors,
        )
