# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Small parts of the flows that sign in to Instagram or name an Instagram account.

Usernames and security codes as users type them, a fresh adapter for a new login
attempt, the checkpoint method form, and the form error each failed login step
shows. Nothing here logs the password or the session.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Final

from homeassistant.const import CONF_METHOD
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .compat import vol
from .engine.client import InstagramClient
from .engine.exceptions import ClientOutdated, IgAutolikerError
from .errors import flow_error

if TYPE_CHECKING:
    from .engine.models import ChallengeMethod

_LOGGER = logging.getLogger(__name__)

#: Instagram's username rule (lowercased): 1-30 of a-z 0-9 . _, no period at either
#: end or twice in a row. It also keeps path tricks ("..") out of the lookup URL.
TARGET_USERNAME: Final = re.compile(r"(?!\.)(?!.*\.\.)[a-z0-9._]{1,30}(?<!\.)")
USERNAME_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
)


#: A link to an Instagram page, as the app's "Share profile" / "Copy profile URL"
#: and the browser's address bar give it: scheme and "www."/"m." optional.
_INSTAGRAM_LINK: Final = re.compile(
    r"(?:https?://)?(?:www\.|m\.)?instagram\.com(?P<path>[/?#].*)?", re.IGNORECASE
)
#: First path parts of instagram.com pages that are no profile (a post, a reel, the
#: explore page, settings), after which no username follows.
_NOT_A_PROFILE: Final = frozenset(
    {
        "p",
        "reel",
        "reels",
        "tv",
        "explore",
        "accounts",
        "direct",
        "about",
        "legal",
        "highlights",
    }
)


def normalize_username(raw: str) -> str:
    """Return a username as Instagram compares it: trimmed, without "@", lowercase.

    A profile link is reduced to its username: `https://www.instagram.com/name/`,
    `instagram.com/name`, the app's share link with `?igsh=...` or `?utm_source=...`,
    and a story link `instagram.com/stories/name/<id>/`. A link to a post, reel or
    other page gives "" (no username), which the caller rejects. Anything else
    (an e-mail address or phone number at login) is only trimmed and lowercased.
    """
    text = raw.strip()
    if (link := _INSTAGRAM_LINK.fullmatch(text)) is not None:
        path = re.split(r"[?#]", link.group("path") or "", maxsplit=1)[0]
        parts = [part for part in path.split("/") if part]
        if parts and parts[0].lower() == "stories":
            parts = parts[1:]
        if not parts or parts[0].lower() in _NOT_A_PROFILE:
            return ""
        text = parts[0]
    return text.removeprefix("@").strip().lower()


def normalize_code(raw: str) -> str | None:
    """Return a security code without whitespace, or None when it cannot be one.

    Instagram's codes are digits; users paste them with spaces ("123 456").
    """
    code = "".join(raw.split())
    return code if code.isascii() and code.isdigit() else None


def fresh_adapter(
    previous: InstagramClient | None, username: str, password: str
) -> InstagramClient:
    """Return a new adapter for a login from the start. Runs in the executor.

    A retry for the same username (say, after a mistyped password) keeps the device
    of the previous try: a new phone on every attempt is what Instagram's checks flag.
    """
    device = None
    if previous is not None and previous.username == username:
        device = previous.export_session()
    return InstagramClient(username, password, device)


def login_error(err: Exception, placeholders: dict[str, str]) -> str:
    """Return the form error key for a failed login step.

    Adds the placeholder the error's text names (the instagrapi version of
    "client_outdated") to `placeholders`; logs a failure no key explains.
    """
    if isinstance(err, ClientOutdated):
        placeholders["version"] = err.library_version
    key = flow_error(err) if isinstance(err, IgAutolikerError) else "unknown"
    if key == "unknown":
        _LOGGER.error("Unexpected error while signing in to Instagram", exc_info=err)
    return key


def challenge_schema(methods: tuple[ChallengeMethod, ...]) -> vol.Schema:
    """Return the form choosing where Instagram sends the checkpoint code."""
    values = [method.value for method in methods]
    return vol.Schema(
        {
            vol.Required(CONF_METHOD, default=values[0]): SelectSelector(
                SelectSelectorConfig(
                    options=values,
                    mode=SelectSelectorMode.LIST,
                    translation_key="challenge_method",
                )
            )
        }
    )
