"""The one table from the engine's errors to what Home Assistant shows.

Each row names an engine exception, the translation key of its message (the
`exceptions` section of the translation files), the Home Assistant exception it
becomes in each context, and the config flow's form error key. Setup, a cycle, an
action and a flow all look their errors up here; nothing else builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .engine.exceptions import (
    AccountSuspended,
    AuthenticationFailed,
    CannotConnect,
    ChallengeRequired,
    ClientOutdated,
    FeedbackRequired,
    IgAutolikerError,
    InvalidCode,
    IpBlocked,
    RateLimited,
    Refused,
    SessionExpired,
    TargetNotFound,
    TargetPrivate,
    TwoFactorRequired,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


class Context(StrEnum):
    """Where an error meets Home Assistant."""

    SETUP = "setup"  # async_setup_entry
    UPDATE = "update"  # a cycle (the coordinator's refresh)
    ACTION = "action"  # a button or an action the user started


@dataclass(frozen=True, slots=True)
class Row:
    """How one engine error is shown; see the module docstring."""

    error: type[IgAutolikerError]
    key: str
    setup: type[HomeAssistantError]
    update: type[HomeAssistantError]
    flow: str
    action: type[HomeAssistantError] = HomeAssistantError


#: First match wins: subclasses before their bases.
TABLE: Final[tuple[Row, ...]] = (
    Row(ChallengeRequired, "challenge_required", ConfigEntryAuthFailed,
        ConfigEntryAuthFailed, "challenge_failed"),
    Row(TwoFactorRequired, "reauth_required", ConfigEntryAuthFailed,
        ConfigEntryAuthFailed, "invalid_auth"),
    Row(AuthenticationFailed, "reauth_required", ConfigEntryAuthFailed,
        ConfigEntryAuthFailed, "invalid_auth"),
    Row(AccountSuspended, "account_suspended", ConfigEntryError, UpdateFailed,
        "account_suspended"),
    Row(IpBlocked, "ip_blocked", ConfigEntryNotReady, UpdateFailed, "ip_blocked"),
    Row(ClientOutdated, "client_outdated", ConfigEntryError, UpdateFailed,
        "client_outdated"),
    Row(SessionExpired, "session_refused", ConfigEntryNotReady, UpdateFailed,
        "reauth_required"),
    Row(CannotConnect, "cannot_connect", ConfigEntryNotReady, UpdateFailed,
        "cannot_connect"),
    Row(RateLimited, "setup_failed", ConfigEntryNotReady, UpdateFailed,
        "rate_limited"),
    Row(FeedbackRequired, "setup_failed", ConfigEntryNotReady, UpdateFailed,
        "rate_limited"),
    Row(InvalidCode, "setup_failed", ConfigEntryNotReady, UpdateFailed,
        "invalid_code"),
    Row(TargetNotFound, "setup_failed", ConfigEntryNotReady, UpdateFailed,
        "not_found"),
    Row(TargetPrivate, "setup_failed", ConfigEntryNotReady, UpdateFailed,
        "private"),
    Row(IgAutolikerError, "setup_failed", ConfigEntryNotReady, UpdateFailed,
        "unknown"),
)  # fmt: skip

#: The gate's reasons: translation key and form error key.
REFUSALS: Final[Mapping[str, tuple[str, str]]] = {
    "reauth_required": ("reauth_required", "reauth_required"),
    "account_suspended": ("account_suspended", "account_suspended"),
    "paused": ("cycle_paused", "rate_limited"),
    "frozen": ("cycle_frozen", "rate_limited"),
    "sleeping": ("cycle_sleeping", "rate_limited"),
    "like_limit": ("like_limit_reached", "rate_limited"),
}


def row(err: IgAutolikerError) -> Row:
    """Return the table's row for `err` (the base row when nothing closer fits)."""
    return next(item for item in TABLE if isinstance(err, item.error))


def needs_reauth(err: BaseException) -> bool:
    """Tell whether `err` asks the user to reauthenticate (or pass a checkpoint)."""
    return (
        isinstance(err, IgAutolikerError) and row(err).update is ConfigEntryAuthFailed
    )


def flow_error(err: IgAutolikerError) -> str:
    """Return the config flow's form error key for `err`."""
    if isinstance(err, Refused):
        return REFUSALS.get(err.reason, ("", "rate_limited"))[1]
    return row(err).flow


def local_time(stamp: float) -> str:
    """Format Unix seconds as the user's local time, as messages show it."""
    return dt_util.as_local(dt_util.utc_from_timestamp(stamp)).strftime(
        "%Y-%m-%d %H:%M"
    )


def to_ha_error(
    err: IgAutolikerError, context: Context, username: str
) -> HomeAssistantError:
    """Build the translated Home Assistant error for `err` in `context`.

    Args:
        err: What the engine raised.
        context: Where it is raised.
        username: The account, for the message.

    Returns:
        The error for the caller to raise (`from err`).

    """
    placeholders = {"username": username}
    if isinstance(err, Refused):
        key = REFUSALS.get(err.reason, ("reauth_required", ""))[0]
        if err.until is not None:
            placeholders["until"] = local_time(err.until)
        refused: type[HomeAssistantError] = ServiceValidationError
        if context is not Context.ACTION:
            # A cycle due while the session waits for the user: reauthenticate.
            auth = err.reason == "reauth_required"
            refused = ConfigEntryAuthFailed if auth else UpdateFailed
        # An expected refusal of an action is no failure: HTTP 400, not 500.
        return refused(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )
    found = row(err)
    key = found.key
    if isinstance(err, ClientOutdated):
        placeholders["version"] = err.library_version
    retry_setup = context is Context.SETUP and found.setup is ConfigEntryNotReady
    if retry_setup and key in {"setup_failed", "cannot_connect", "session_refused"}:
        key = "setup_failed"
    if key in {"setup_failed", "cannot_connect"}:
        placeholders["error"] = (
            type(err).__name__
            if context is Context.SETUP
            else str(err) or type(err).__name__
        )
    cls = {Context.SETUP: found.setup, Context.UPDATE: found.update}.get(
        context, found.action
    )
    return cls(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
