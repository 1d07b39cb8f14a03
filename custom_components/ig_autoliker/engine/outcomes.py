"""Did our likes stick? The record behind the detection of silent like blocks.

Instagram sometimes answers a like `{"status": "ok"}` and does not keep it, or takes
it back a little later; users of peer tools report "the log says liked, but it is
not" (tests/sandbox/SOURCES.md, "Silent like blocks"). Only a later feed tells: the
`has_liked` flag of the item. This record keeps our recent likes and what the feeds
showed of each, and decides when enough of them were dropped to treat the account as
action-blocked (README, "Account safety").

Pure Python like `safety.py`: no I/O, no Home Assistant, times are passed in (Unix
seconds). JSON-safe through `as_dict()`/`parse()`; parsing is forgiving: a malformed
entry is dropped and named, the rest kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from .clock import DAY, stored_seconds
from .models import MediaKind

#: A silent block is assumed once this many of our last `SILENT_WINDOW` likes whose
#: outcome a feed showed were dropped. Peer users' advice is to check every fifth
#: like and stop at a missing one (README "Account safety"); three of ten leaves room
#: for a like the user withdrew by hand or a feed that lags once.
SILENT_DROPS: Final = 3
#: How many of the latest decided outcomes are weighed, count.
SILENT_WINDOW: Final = 10
#: At most this many of our likes may be unseen (sent after the newest one a feed
#: showed stuck, no feed has shown them since) before the next like reads a feed
#: first. Each such read settles at least one, so the likes sent into a block
#: before it is noticed are at most (SILENT_DROPS - 1) + MAX_UNCHECKED = 5.
MAX_UNCHECKED: Final = 3
#: Our likes are followed this long after they were sent, seconds: a feed read later
#: can still show a like that was taken back.
RECORD_RETENTION: Final = 2 * DAY
#: At most this many of our likes are followed (the newest), count.
RECORD_SIZE: Final = 200


class Outcome(StrEnum):
    """What the feeds showed of one of our likes."""

    PENDING = "pending"  # sent; no feed has shown the item since
    STUCK = "stuck"  # a feed showed it liked
    DROPPED = "dropped"  # a feed showed it unliked: dropped or taken back
    UNKNOWN = "unknown"  # cannot be told: gone from the feed, or flag not trusted


class Change(StrEnum):
    """How an observation changes what counts as liked (`LikeOutcomes.observe`)."""

    DROPPED = "dropped"  # no longer liked: out of the ledger and the totals
    RESTORED = "restored"  # shown liked again after it counted as dropped


@dataclass(slots=True)
class OurLike:
    """One like Instagram answered ok, and what became of it.

    Attributes:
        pk: The media pk.
        kind: Story, photo, album or reel.
        target_pk: The owner's pk (whose feed shows it).
        sent_at: Unix seconds of the like.
        outcome: What the feeds showed.
        decided_at: Unix seconds the outcome last changed to stuck or dropped.

    """

    pk: str
    kind: MediaKind
    target_pk: str
    sent_at: float
    outcome: Outcome = Outcome.PENDING
    decided_at: float | None = None

    @property
    def story(self) -> bool:
        """True for a story (its flag is trusted only once seen set)."""
        return self.kind is MediaKind.STORY

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "pk": self.pk,
            "kind": self.kind.value,
            "target_pk": self.target_pk,
            "sent_at": self.sent_at,
            "outcome": self.outcome.value,
            "decided_at": self.decided_at,
        }

    @classmethod
    def parse(cls, raw: Any) -> OurLike | None:
        """Build from `as_dict()` output; None when malformed."""
        if not isinstance(raw, Mapping):
            return None
        pk, target_pk = raw.get("pk"), raw.get("target_pk")
        sent_at = stored_seconds(raw.get("sent_at"))
        decided_raw = raw.get("decided_at")
        decided_at = stored_seconds(decided_raw)
        if (
            not isinstance(pk, str)
            or not isinstance(target_pk, str)
            or sent_at is None
            or (decided_raw is not None and decided_at is None)
        ):
            return None
        try:
            kind = MediaKind(str(raw.get("kind")))
            outcome = Outcome(str(raw.get("outcome")))
        except ValueError:
            return None
        return cls(pk, kind, target_pk, sent_at, outcome, decided_at)


@dataclass(slots=True)
class LikeOutcomes:
    """Our recent likes with their outcomes, and the media held back after a drop.

    Attributes:
        likes: Media pk -> our like, oldest first.
        held: Media pk -> Unix seconds until which a dropped like is not sent again.
        counting_since: Unix seconds; only likes sent from then on count towards a
            silent block (set when a freeze starts: what came before is judged).
        story_flag_seen: True once a story feed showed one of our story likes as
            liked. No capture of a story item after a story like is public
            (tests/sandbox/SOURCES.md), so an unliked story counts as dropped
            only after the flag was seen to work for this account.

    """

    likes: dict[str, OurLike] = field(default_factory=dict)
    held: dict[str, float] = field(default_factory=dict)
    counting_since: float = 0.0
    story_flag_seen: bool = False

    # -- what happens --------------------------------------------------------------

    def sent(
        self,
        pk: str,
        kind: MediaKind,
        target_pk: str,
        now: float,
        *,
        stuck: bool = False,
    ) -> None:
        """Note a like Instagram answered ok (again, after a hold: it starts over).

        Args:
            pk: The media pk.
            kind: Its kind.
            target_pk: Its owner's pk.
            now: Unix seconds.
            stuck: A feed already showed it liked (a like whose answer was lost).

        """
        self.likes.pop(pk, None)
        self.held.pop(pk, None)
        like = OurLike(pk, kind, target_pk, now)
        if stuck:
            like.outcome, like.decided_at = Outcome.STUCK, now
        self.likes[pk] = like
        self.prune(now)

    def observe(
        self, pk: str, *, liked: bool, now: float, hold: float
    ) -> Change | None:
        """Note what a feed shows of media `pk`.

        Args:
            pk: The media pk (not ours: nothing happens).
            liked: The feed's `has_liked`.
            now: Unix seconds.
            hold: Seconds a dropped like is held back before it may be sent again.

        Returns:
            `Change.DROPPED` when one of our likes is found unliked (first time),
            `Change.RESTORED` when one found dropped is shown liked again, else None.

        """
        like = self.likes.get(pk)
        if like is None:
            return None
        if liked:
            if like.story:
                self.story_flag_seen = True
            previous = like.outcome
            if previous is not Outcome.STUCK:
                like.outcome, like.decided_at = Outcome.STUCK, now
            if previous is Outcome.DROPPED:
                self.held.pop(pk, None)
                return Change.RESTORED
            return None
        if like.outcome not in {Outcome.PENDING, Outcome.STUCK}:
            return None
        if like.story and not self.story_flag_seen:
            like.outcome = Outcome.UNKNOWN
            return None
        like.outcome, like.decided_at = Outcome.DROPPED, now
        self.held[pk] = now + hold
        return Change.DROPPED

    def not_shown(self, target_pk: str, *, story: bool, shown: set[str]) -> None:
        """Give up on pending likes a feed of their target did not show.

        A post beyond the first page, an expired or deleted story: nothing can be
        told, so it counts neither way.

        Args:
            target_pk: Whose feed was read.
            story: True for the story feed, False for the post feed.
            shown: The media pks the feed showed.

        """
        for like in self.likes.values():
            if (
                like.target_pk == target_pk
                and like.story == story
                and like.outcome is Outcome.PENDING
                and like.pk not in shown
            ):
                like.outcome = Outcome.UNKNOWN

    def restart_count(self, now: float) -> None:
        """Count only likes sent after `now` from now on (a freeze started)."""
        self.counting_since = max(self.counting_since, now)

    # -- what follows --------------------------------------------------------------

    def unseen(self) -> list[OurLike]:
        """Return our likes a check must still see, oldest first.

        Pending likes sent after the newest like a feed showed stuck: one that
        stuck means no block had begun when it was sent, so the older pending ones
        are covered by it. Stories count only once their flag is trusted.
        """
        newest_stuck = max(
            (
                like.sent_at
                for like in self.likes.values()
                if like.outcome is Outcome.STUCK
            ),
            default=-math.inf,
        )
        return [
            like
            for like in self.likes.values()
            if like.outcome is Outcome.PENDING
            and like.sent_at > newest_stuck
            and (not like.story or self.story_flag_seen)
        ]

    def to_check(self) -> tuple[str, bool] | None:
        """Say which feed to read before the next like, if any.

        Returns:
            None while fewer than `MAX_UNCHECKED` of our likes are unseen
            (`unseen()`); else `(target pk, story)` of the feed that shows the
            newest of them: if that stuck, it covers all the others.

        """
        unseen = self.unseen()
        if len(unseen) < MAX_UNCHECKED:
            return None
        newest = max(unseen, key=lambda like: like.sent_at)
        return newest.target_pk, newest.story

    def evidence(self) -> tuple[int, int] | None:
        """Tell whether enough of our latest likes were dropped to call it a block.

        Weighs the `SILENT_WINDOW` latest decided outcomes (by when they were
        decided, so a like taken back later counts when it is seen) of likes sent
        from `counting_since` on.

        Returns:
            `(dropped, weighed)` when at least `SILENT_DROPS` were dropped, else None.

        """
        decided = sorted(
            (
                like
                for like in self.likes.values()
                if like.sent_at >= self.counting_since
                and like.outcome in {Outcome.STUCK, Outcome.DROPPED}
            ),
            key=lambda like: like.decided_at or 0.0,
        )[-SILENT_WINDOW:]
        dropped = sum(like.outcome is Outcome.DROPPED for like in decided)
        return (dropped, len(decided)) if dropped >= SILENT_DROPS else None

    def is_held(self, pk: str, now: float) -> bool:
        """Tell whether media `pk` was dropped lately and must wait."""
        until = self.held.get(pk)
        if until is None:
            return False
        if until <= now:
            del self.held[pk]
            return False
        return True

    def prune(self, now: float) -> None:
        """Forget likes older than `RECORD_RETENTION` or beyond `RECORD_SIZE`."""
        kept = [
            like
            for like in self.likes.values()
            if now - like.sent_at < RECORD_RETENTION
        ][-RECORD_SIZE:]
        if len(kept) != len(self.likes):
            self.likes = {like.pk: like for like in kept}
        for pk, until in list(self.held.items()):
            if until <= now:
                del self.held[pk]

    def summary(self) -> dict[str, Any]:
        """Return counts for diagnostics.

        Returns:
            `{"stuck" | "dropped" | "pending" | "unknown": count, "held": count,
            "story_flag_seen": bool}`.

        """
        counts = {outcome.value: 0 for outcome in Outcome}
        for like in self.likes.values():
            counts[like.outcome.value] += 1
        return {
            **counts,
            "held": len(self.held),
            "story_flag_seen": self.story_flag_seen,
        }

    # -- persistence ---------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form.

        Returns:
            `{"likes": [OurLike.as_dict(), ...] (oldest first), "held": {pk: until},
            "counting_since": float, "story_flag_seen": bool}`; copies.

        """
        return {
            "likes": [like.as_dict() for like in self.likes.values()],
            "held": dict(self.held),
            "counting_since": self.counting_since,
            "story_flag_seen": self.story_flag_seen,
        }

    @classmethod
    def parse(cls, data: Any) -> tuple[LikeOutcomes, bool]:
        """Restore from `as_dict()` output, keeping every well-formed part.

        Returns:
            The record, and False when anything was dropped (a missing part, None,
            is fine).

        """
        record = cls()
        if data is None:
            return record, True
        if not isinstance(data, Mapping):
            return record, False
        record.likes, likes_ok = _parse_likes(data.get("likes", []))
        held = data.get("held", {})
        held_ok = isinstance(held, Mapping)
        for pk, until in held.items() if held_ok else ():
            if (seconds := stored_seconds(until)) is None:
                held_ok = False
            else:
                record.held[str(pk)] = seconds
        since = stored_seconds(data.get("counting_since", 0.0))
        record.counting_since = since or 0.0
        flag = data.get("story_flag_seen", False)
        record.story_flag_seen = flag is True
        complete = likes_ok and held_ok and since is not None and isinstance(flag, bool)
        return record, complete


def _parse_likes(raw_likes: Any) -> tuple[dict[str, OurLike], bool]:
    """Keep the well-formed stored likes; False when anything was dropped."""
    if not isinstance(raw_likes, list):
        return {}, False
    likes = {like.pk: like for raw in raw_likes if (like := OurLike.parse(raw))}
    return likes, len(likes) == len(raw_likes)
