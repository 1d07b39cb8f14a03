# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""Add many targets in one go: a pasted list, a pick, or the `add_targets` action.

Each new target becomes a subentry exactly as the single add creates it (unique_id
the pk, the same data), so its device and entities appear the same way. A name is
matched against the followed accounts first (following.py: one request per 200
accounts, cached), and only a name not among them is looked up (`resolve_username`,
one or two requests each). Names that cannot be added are reported by name and
reason; the rest are added.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_USERNAME
from homeassistant.helpers.selector import BooleanSelector

from .compat import vol
from .const import (
    CONF_BACKLOG_POSTS,
    CONF_LIKE_CURRENT_STORIES,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_TARGET_PK,
    SUBENTRY_TYPE_TARGET,
)
from .engine.exceptions import IgAutolikerError
from .errors import flow_error
from .following import async_following, cached_following
from .signin import TARGET_USERNAME, normalize_username

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.core import HomeAssistant

    from .coordinator import IgAutolikerConfigEntry
    from .engine.models import TargetUser

_LOGGER = logging.getLogger(__name__)

#: Separators of a pasted list: commas, semicolons and any whitespace (newlines).
_SEPARATORS: Final = re.compile(r"[,;\s]+")
#: Lookup answers about the name itself; any other error stops the lookups (the
#: account cannot ask now), and the names not reached are reported as not tried.
_NAME_ERRORS: Final = frozenset({"not_found", "private"})

#: What is liked of a target: the fields of every add-target form.
LIKE_KINDS_SCHEMA: Final = {
    vol.Required(CONF_LIKE_STORIES, default=True): BooleanSelector(),
    vol.Required(CONF_LIKE_POSTS, default=True): BooleanSelector(),
}


def like_kinds(user_input: Mapping[str, Any]) -> dict[str, bool] | None:
    """Return the chosen kinds of likes, or None when neither is chosen."""
    kinds = {
        CONF_LIKE_STORIES: bool(user_input[CONF_LIKE_STORIES]),
        CONF_LIKE_POSTS: bool(user_input[CONF_LIKE_POSTS]),
    }
    return kinds if any(kinds.values()) else None


def parse_usernames(text: str | Iterable[str]) -> tuple[list[str], list[str]]:
    """Split a pasted list into usernames as Instagram compares them.

    Args:
        text: Names separated by commas, semicolons, spaces or newlines, or a list
            of such strings; "@name" and profile links are accepted (the single
            add's parser, `signin.normalize_username`).

    Returns:
        The valid usernames (lower-case, duplicates dropped, order kept) and the
        entries that are no username, as typed.

    """
    chunks = [text] if isinstance(text, str) else list(text)
    valid: list[str] = []
    invalid: list[str] = []
    for chunk in chunks:
        for raw in _SEPARATORS.split(str(chunk)):
            if not raw:
                continue
            name = normalize_username(raw)
            if not TARGET_USERNAME.fullmatch(name):
                invalid.append(raw)
            elif name not in valid:
                valid.append(name)
    return valid, invalid


@dataclass(slots=True)
class BulkResult:
    """What became of each name (lists of usernames, in the order given).

    Attributes:
        added: New targets.
        already: Already targets (by username or by pk).
        not_found: No such Instagram account.
        private: Private and not followed: nothing of theirs can be seen.
        invalid: No username (as typed).
        not_tried: Not looked up because the account cannot ask now (`reason`).
        reason: errors.py's flow key of what stopped the lookups, else None.
        requests: Requests sent for the list and the lookups.

    """

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    private: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    not_tried: list[str] = field(default_factory=list)
    reason: str | None = None
    requests: int = 0

    def skipped(self) -> list[str]:
        """Return every name that was given but is not a target now."""
        return [*self.not_found, *self.private, *self.invalid, *self.not_tried]

    def as_response(self) -> dict[str, Any]:
        """Return the action's response data."""
        return {
            "added": self.added,
            "already_targets": self.already,
            "not_found": self.not_found,
            "private": self.private,
            "invalid": self.invalid,
            "not_tried": self.not_tried,
            "not_tried_reason": self.reason,
        }


def target_data(
    user: TargetUser, username: str, kinds: Mapping[str, bool] | None = None
) -> dict[str, Any]:
    """Return a target subentry's data as the single add stores it.

    A bulk add likes nothing of the past but the current stories (the single add
    form's defaults), so fifty new targets never burst into old posts.
    """
    return {
        CONF_USERNAME: username,
        CONF_TARGET_PK: user.pk,
        CONF_LIKE_STORIES: True,
        CONF_LIKE_POSTS: True,
        **(kinds or {}),
        CONF_BACKLOG_POSTS: 0,
        CONF_LIKE_CURRENT_STORIES: True,
    }


async def _async_known(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry, result: BulkResult
) -> dict[str, TargetUser]:
    """Return the followed accounts by username; {} if they cannot be fetched now."""
    following = cached_following(hass, entry)
    if following is None:
        try:
            following = await async_following(hass, entry)
        except IgAutolikerError as err:
            # Each name is then looked up on its own, which will say why.
            _LOGGER.debug("Following list not fetched: %s", err)
            return {}
        result.requests += following.requests
    return following.by_username()


def _add(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    result: BulkResult,
    pks: set[str | None],
    data: dict[str, Any],
) -> None:
    """Create the target subentry as the single add does, unless its pk is one."""
    name, pk = str(data[CONF_USERNAME]), str(data[CONF_TARGET_PK])
    if pk in pks:  # the same account under another username
        result.already.append(name)
        return
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType(data),
            subentry_type=SUBENTRY_TYPE_TARGET,
            title=name,
            unique_id=pk,
        ),
    )
    pks.add(pk)
    result.added.append(name)


async def async_add_targets(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    usernames: Iterable[str],
    kinds: Mapping[str, bool] | None = None,
) -> BulkResult:
    """Add every account in `usernames` that can be a target.

    Args:
        hass: Home Assistant.
        entry: The loaded account.
        usernames: Valid lower-case usernames (`parse_usernames`).
        kinds: `like_stories` / `like_posts` for all of them (default both).

    Returns:
        What became of each name.

    """
    result = BulkResult()
    targets = entry.get_subentries_of_type(SUBENTRY_TYPE_TARGET)
    names = {str(t.data[CONF_USERNAME]) for t in targets}
    pks = {t.unique_id for t in targets}
    todo = [name for name in usernames if name not in names]
    result.already = [name for name in usernames if name in names]
    known = await _async_known(hass, entry, result) if todo else {}
    # Followed accounts first: they need no request, so a lookup that the account
    # cannot make now (a limit, a freeze) leaves only names that need one untried.
    lookups = [name for name in todo if name not in known]
    for name in todo:
        if (user := known.get(name)) is not None:
            _add(hass, entry, result, pks, target_data(user, name, kinds))
    engine = entry.runtime_data.engine
    for index, name in enumerate(lookups):
        try:
            user = await engine.async_resolve_target(name)
        except IgAutolikerError as err:
            key = flow_error(err)
            if key not in _NAME_ERRORS:
                result.not_tried = lookups[index:]
                result.reason = key
                break
            (result.not_found if key == "not_found" else result.private).append(name)
            result.requests += 1 if key == "not_found" else 2
            continue
        result.requests += 1 + int(user.is_private)
        _add(hass, entry, result, pks, target_data(user, name, kinds))
    return result
