"""Follow mode's settings: like chosen targets, everyone followed, or both.

`follow_pass.py` reads the followed accounts' feeds and likes; this module holds
only what the options decide, so `safety.SafetySettings` can carry it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LikeMode(StrEnum):
    """What the account likes: chosen targets, everyone it follows, or both."""

    TARGETS = "targets"
    FOLLOWING = "following"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class FollowSettings:
    """The follow-mode options of one account.

    Attributes:
        mode: Which accounts are liked.
        excluded: Lower-case usernames never liked in follow mode.

    """

    mode: LikeMode = LikeMode.TARGETS
    excluded: frozenset[str] = field(default_factory=frozenset)

    @property
    def follows(self) -> bool:
        """True when everyone followed is liked (following or both)."""
        return self.mode is not LikeMode.TARGETS

    @property
    def targets(self) -> bool:
        """True when the chosen targets are liked (targets or both)."""
        return self.mode is not LikeMode.FOLLOWING
