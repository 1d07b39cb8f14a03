# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""The accounts the signed-in account follows: fetched paged, within budget, cached.

The bulk-target form offers them as a multi-select, and a pasted list is matched
against them before anything is looked up (bulk.py). Every page is one request
(`InstagramClient.following_page`), asked of the one gate (`Engine.refusal`) and
the request budget first, and counted like any other request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .engine.clock import HOUR
from .engine.exceptions import RateLimited
from .engine.ratelimit import Action
from .engine.safety import Act

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import IgAutolikerConfigEntry
    from .engine.models import TargetUser

#: How long a fetched list is reused, seconds. Adding targets is a sitting of a few
#: minutes (open the form, pick, maybe reopen it for more); within an hour the list
#: rarely changes, and an account followed since is still found: a pasted name
#: missing from the list is looked up on its own (bulk.py).
FOLLOWING_MAX_AGE: Final = HOUR
#: Most pages fetched: 10 x 200 = 2,000 accounts, 10 requests of the default
#: 150 per hour. 200 per page is instagrapi's `MAX_USER_COUNT` for this endpoint.
MAX_PAGES: Final = 10
PAGE_SIZE: Final = 200

_CACHE: HassKey[dict[str, Following]] = HassKey(f"{DOMAIN}_following")


@dataclass(frozen=True, slots=True)
class Following:
    """The followed accounts as fetched.

    Attributes:
        users: Newest follow first, as Instagram lists them.
        fetched_at: When, Unix seconds (the coordinator's clock).
        complete: False when the page cap or the budget cut the list short.
        requests: Requests the fetch cost (0 when it came from the cache).

    """

    users: tuple[TargetUser, ...]
    fetched_at: float
    complete: bool
    requests: int

    def by_username(self) -> dict[str, TargetUser]:
        """Return the accounts by lower-case username."""
        return {user.username: user for user in self.users}


def cached_following(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> Following | None:
    """Return the entry's list if fetched less than `FOLLOWING_MAX_AGE` ago."""
    hit = hass.data.get(_CACHE, {}).get(entry.entry_id)
    if hit is None or entry.runtime_data.clock() - hit.fetched_at >= FOLLOWING_MAX_AGE:
        return None
    return hit


async def async_following(
    hass: HomeAssistant, entry: IgAutolikerConfigEntry
) -> Following:
    """Return the followed accounts: the cached list, or fetch it page by page.

    A page is asked for only while the gate and the request budget allow one; a
    refusal after the first page ends the list early (`complete` False, not cached).

    Raises:
        Refused: The gate refuses the first page (the account waits, a freeze).
        RateLimited: The budget has no room for the first page (`retry_after`).
        IgAutolikerError: As the client's `following_page`.

    """
    if (hit := cached_following(hass, entry)) is not None:
        return hit
    coordinator = entry.runtime_data
    engine = coordinator.engine
    users: list[TargetUser] = []
    cursor: str | None = None
    requests = 0
    complete = False
    try:
        for _ in range(MAX_PAGES):
            if (refusal := engine.refusal(Act.REQUEST)) is not None:
                if requests == 0:
                    raise refusal.error()
                break
            if not engine.limiter.allows(Action.REQUEST, 1):
                if requests == 0:
                    raise RateLimited(
                        retry_after=engine.limiter.seconds_until_allowed(
                            Action.REQUEST, 1
                        )
                    )
                break
            engine.session.record_request()
            requests += 1
            page, cursor = await engine.session.jobs.run(
                engine.client.following_page, cursor, PAGE_SIZE
            )
            users.extend(page)
            if cursor is None:
                complete = True
                break
    finally:
        if requests:
            coordinator.async_publish()  # the request counters moved
    result = Following(tuple(users), coordinator.clock(), complete, requests)
    if complete:
        hass.data.setdefault(_CACHE, {})[entry.entry_id] = result
    return result
