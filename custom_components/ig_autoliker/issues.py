"""Every repair issue of the integration, created and removed here and nowhere else.

Issue ids end in the config entry's id, so removing an entry removes each of them
(`async_delete_all`). Only the checkpoint issue is fixable: its repair flow
(`repairs.py`) starts the reauthentication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .engine.outcomes import SILENT_DROPS, SILENT_WINDOW
from .engine.safety import BlockKind
from .errors import local_time

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .engine.safety import Freeze

CHALLENGE = "challenge_required"
SUSPENDED = "account_suspended"
STORE_DAMAGED = "store_damaged"
ACTION_BLOCKED = "action_blocked"


def issue_id(kind: str, entry_id: str) -> str:
    """Return the id of an issue of `kind` for the entry (`<kind>_<entry_id>`)."""
    return f"{kind}_{entry_id}"


def _block_id(entry_id: str, kind: BlockKind) -> str:
    return f"{ACTION_BLOCKED}_{entry_id}_{kind.value}"


def _all_ids(entry_id: str) -> list[str]:
    kinds = (CHALLENGE, SUSPENDED, STORE_DAMAGED)
    return [issue_id(kind, entry_id) for kind in kinds] + [
        _block_id(entry_id, kind) for kind in BlockKind
    ]


@callback
def async_challenge(
    hass: HomeAssistant, entry_id: str, username: str, *, native: bool
) -> None:
    """Tell the user that Instagram asks for a checkpoint (fixable: reauthenticate).

    Args:
        hass: Home Assistant.
        entry_id: The account's config entry.
        username: The account, for the text.
        native: The user confirms it in the Instagram app (else a code is needed).

    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(CHALLENGE, entry_id),
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="challenge_confirm_in_app" if native else CHALLENGE,
        translation_placeholders={"username": username},
        data={"entry_id": entry_id, "native": native},
    )


def native_challenge_pending(hass: HomeAssistant, entry_id: str) -> bool:
    """Tell whether the entry waits for a checkpoint confirmed in the app."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id(CHALLENGE, entry_id))
    return issue is not None and bool((issue.data or {}).get("native"))


@callback
def async_suspended(hass: HomeAssistant, entry_id: str, username: str) -> None:
    """Tell the user Instagram suspended the account (only the app can help)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(SUSPENDED, entry_id),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=SUSPENDED,
        translation_placeholders={"username": username},
    )


@callback
def async_session_healthy(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the checkpoint and suspension issues: the session works again."""
    for kind in (CHALLENGE, SUSPENDED):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry_id))


@callback
def async_store_damaged(
    hass: HomeAssistant, entry_id: str, username: str, parts: Iterable[str]
) -> None:
    """Tell the user which parts of their like history a damaged store lost."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(STORE_DAMAGED, entry_id),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=STORE_DAMAGED,
        translation_placeholders={"username": username, "parts": ", ".join(parts)},
    )


@callback
def async_sync_blocks(
    hass: HomeAssistant, entry_id: str, username: str, freezes: Iterable[Freeze]
) -> None:
    """Show one issue per action block in force; remove those of blocks that ended.

    Args:
        hass: Home Assistant.
        entry_id: The account's config entry.
        username: The account, for the text.
        freezes: The freezes in force now (`SafetyPolicy.active_freezes()`).

    """
    active = {freeze.kind: freeze for freeze in freezes}
    for kind in BlockKind:
        if (freeze := active.get(kind)) is None:
            ir.async_delete_issue(hass, DOMAIN, _block_id(entry_id, kind))
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            _block_id(entry_id, kind),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"{ACTION_BLOCKED}_{kind.value}",
            translation_placeholders={
                "username": username,
                "until": local_time(freeze.until),
                "message": freeze.message or kind.value,
                # A silent block's text names the rule that found it.
                "drops": str(SILENT_DROPS),
                "window": str(SILENT_WINDOW),
            },
        )


def session_waits_for_user(hass: HomeAssistant, entry_id: str) -> bool:
    """Tell whether a checkpoint or a suspension of the entry's account is shown."""
    registry = ir.async_get(hass)
    return any(
        registry.async_get_issue(DOMAIN, issue_id(kind, entry_id)) is not None
        for kind in (CHALLENGE, SUSPENDED)
    )


@callback
def async_delete_all(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every issue the entry raised (the entry was removed)."""
    for issue in _all_ids(entry_id):
        ir.async_delete_issue(hass, DOMAIN, issue)
