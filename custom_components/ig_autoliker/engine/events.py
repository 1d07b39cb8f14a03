"""What the engine reports to its owner while it works.

The engine decides and acts; its owner (Home Assistant's coordinator) shows: it turns
these events into bus events, event entities, repair issues and entity updates. A
listener runs synchronously on the caller's thread (the event loop) and must not
raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import MediaKind
    from .safety import Freeze


class SessionHealth(StrEnum):
    """State of the Instagram session, as the "Session health" sensor shows it."""

    HEALTHY = "healthy"
    REAUTH_REQUIRED = "reauth_required"
    CHALLENGE_REQUIRED = "challenge_required"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    SUSPENDED = "suspended"
    ERROR = "error"


#: Session states in which no request may reach Instagram until the user acts.
BLOCKING_HEALTH = frozenset(
    {
        SessionHealth.CHALLENGE_REQUIRED,
        SessionHealth.REAUTH_REQUIRED,
        SessionHealth.TWO_FACTOR_REQUIRED,
        SessionHealth.SUSPENDED,
    }
)


@dataclass(frozen=True, slots=True)
class Liked:
    """Instagram confirmed a like, or a feed showed that an unanswered one landed.

    Attributes:
        target_pk: The target's pk.
        username: The target's username.
        kind: Story, photo, album or reel.
        media_pk: The liked media's pk.
        thumbnail_url: Preview image from the feed answer, or None.
        url: The media's web address (`models.media_link`), or None.

    """

    target_pk: str
    username: str
    kind: MediaKind
    media_pk: str
    thumbnail_url: str | None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Blocked:
    """Instagram blocked an action (`feedback_required`, "Please wait"): a freeze."""

    freeze: Freeze


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """The session needs the user (checkpoint, password, suspension), or recovered.

    Attributes:
        health: The new state.
        native: For a checkpoint: the user confirms it in the Instagram app.

    """

    health: SessionHealth
    native: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """What the entities show changed: target `target_pk`'s, or the account's."""

    target_pk: str | None = None


@dataclass(frozen=True, slots=True)
class Changed:
    """State worth saving changed (the owner schedules a write)."""


type EngineEvent = Liked | Blocked | HealthChanged | Progress | Changed
#: Receives every event, on the caller's thread; must not raise.
type Listener = Callable[[EngineEvent], None]
