"""FeedReads: the feed and list reads of InstagramClient, and how answers are read.

Part of the InstagramClient building block with `client.py` (which adds lookups,
story and post feeds, likes and keep-alive) and `login.py`: the reads of the home
feed (`feed/timeline/`), of several accounts' stories at once (`feed/reels_media/`)
and of the followed accounts (`friendships/{pk}/following/`), plus the functions
that turn instagrapi's parsed media and raw items into our models. Blocking, like
the rest of the client: executor only; each read documents its request count.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from instagrapi import config as ig_config
from instagrapi.extractors import extract_media_v1, extract_story_v1

from .exceptions import TargetNotFound
from .login import LoginFlow
from .models import FeedPost, MediaItem, MediaKind, TargetUser

if TYPE_CHECKING:
    from collections.abc import Sequence

#: What Instagram accepts as a username and as a pk.
USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")
DIGITS = re.compile(r"\d{1,25}")
#: Instagram's `media_type` of a post: 1 photo, 8 carousel (album), 2 video (reel).
KIND_BY_MEDIA_TYPE = {1: MediaKind.PHOTO, 8: MediaKind.ALBUM, 2: MediaKind.REEL}


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def media_item(
    parsed: Any, raw: dict[str, Any], kind: MediaKind, code: str | None = None
) -> MediaItem:
    """Build our model from instagrapi's parsed Story/Media and the raw item.

    `has_liked` comes from the raw item: instagrapi's Story model drops it. A story
    item carries `has_liked` and `has_privately_liked`; no public capture shows
    which one a story like sets (tests/sandbox/SOURCES.md), so either counts.
    """
    owner = str(parsed.user.pk)
    # An album's preview is its first item's; a photo, reel or story has its own.
    resources = getattr(parsed, "resources", None) or []
    thumbnail = parsed.thumbnail_url or next(
        (res.thumbnail_url for res in resources if res.thumbnail_url), None
    )
    return MediaItem(
        pk=str(parsed.pk),
        media_id=f"{parsed.pk}_{owner}",
        owner_pk=owner,
        kind=kind,
        taken_at=_aware(parsed.taken_at),
        has_liked=bool(raw.get("has_liked") or raw.get("has_privately_liked")),
        code=code,
        thumbnail_url=None if thumbnail is None else str(thumbnail),
    )


def _reels_stories(result: dict[str, Any]) -> dict[str, list[MediaItem]]:
    """Read a `feed/reels_media/` answer: user pk -> its stories, oldest first.

    A user without live stories (or one the account may not see) is absent.
    """
    reels = result.get("reels") or {}
    stories: dict[str, list[MediaItem]] = {}
    for reel in reels.values() if isinstance(reels, dict) else ():
        items = []
        for raw in reel.get("items") or []:
            item = dict(raw)
            item.setdefault("user", reel.get("user"))
            items.append(media_item(extract_story_v1(item), raw, MediaKind.STORY))
        if items:
            stories[items[0].owner_pk] = sorted(items, key=lambda m: m.taken_at)
    return stories


def _timeline_posts(result: dict[str, Any]) -> tuple[list[FeedPost], str | None]:
    """Read a `feed/timeline/` page: the followed accounts' own posts only.

    Only `media_or_ad` items are kept, and of those none that is sponsored
    (`injected` or `ad_id`, mgp25/Instagram-API#2227) or whose owner the account
    does not follow (`user.friendship_status.following` false). Suggested posts
    and reels come as `explore_story`, suggested accounts as `suggested_users`;
    both are dropped (tests/sandbox/SOURCES.md names the captures).

    Returns:
        The posts in feed order, and the next page's cursor: None when Instagram
        has no more (`more_available`) or this page holds the
        `end_of_feed_demarcator` (what follows it is suggestions only).

    """
    posts, ended = [], False
    for entry in result.get("feed_items") or []:
        ended = ended or "end_of_feed_demarcator" in entry
        raw = entry.get("media_or_ad")
        if not isinstance(raw, dict) or raw.get("injected") or raw.get("ad_id"):
            continue
        user = raw.get("user") or {}
        if (user.get("friendship_status") or {}).get("following") is False:
            continue
        kind = KIND_BY_MEDIA_TYPE.get(int(raw.get("media_type") or 0))
        if kind is None:
            continue
        media = extract_media_v1(raw)
        item = media_item(media, raw, kind, code=str(media.code))
        posts.append(FeedPost(item, str(user.get("username") or "").lower()))
    cursor = result.get("next_max_id")
    if not result.get("more_available") or ended or cursor is None:
        return posts, None
    return posts, str(cursor)


def _following_params(
    rank_token: str, max_id: str | None, count: int
) -> dict[str, Any]:
    """Return the query of a following page as instagrapi sends it (SOURCES.md).

    `count` is clamped to 1-200, instagrapi's `MAX_USER_COUNT` for this endpoint.
    """
    params: dict[str, Any] = {
        "count": min(max(count, 1), 200),
        "rank_token": rank_token,
        "search_surface": "follow_list_page",
        "query": "",
        "enable_groups": "true",
    }
    if max_id:
        params["max_id"] = max_id
    return params


def _following_users(result: dict[str, Any]) -> tuple[list[TargetUser], str | None]:
    """Return a following page's accounts (lower-case usernames) and `next_max_id`."""
    users = [
        TargetUser(
            pk=str(user.get("pk")),
            username=str(user.get("username") or "").lower(),
            full_name=str(user.get("full_name") or ""),
            is_private=bool(user.get("is_private")),
        )
        for user in result.get("users") or []
        if DIGITS.fullmatch(str(user.get("pk")))
        and USERNAME.fullmatch(str(user.get("username") or ""))
    ]
    return users, (str(result.get("next_max_id") or "") or None)


class FeedReads(LoginFlow):
    """The home feed, batched stories and the following list of one account.

    The subclass (`InstagramClient`) builds instagrapi's client as `_client`. All
    methods raise subclasses of `exceptions.IgAutolikerError` only.
    """

    def following_page(
        self, max_id: str | None = None, count: int = 200
    ) -> tuple[list[TargetUser], str | None]:
        """Return one page of the followed accounts and the next cursor (None: last).

        One request: `friendships/{pk}/following/` as instagrapi's `user_following_v1`
        asks it (`_following_params`); `max_id` is the previous page's cursor.

        Raises:
            RateLimited, SessionExpired, ChallengeRequired, CannotConnect.

        """
        self._require_login()
        endpoint = f"friendships/{self.user_pk}/following/"

        def page() -> tuple[list[TargetUser], str | None]:
            params = _following_params(self._client.rank_token, max_id, count)
            return _following_users(
                self._client.private_request(endpoint, params=params)
            )

        return self._call(endpoint, page)

    def reels_media(self, user_pks: Sequence[str]) -> dict[str, list[MediaItem]]:
        """Return the current stories of several users: `_reels_stories`.

        One request: `feed/reels_media/` with the pks as `user_ids`, as the app asks
        when the story tray opens; Instagram refuses more than about 20 ids ("Too
        many reels requested", tests/sandbox/SOURCES.md), so the caller batches.

        Raises:
            RateLimited, SessionExpired, ChallengeRequired, CannotConnect.

        """
        data = {
            "user_ids": [self._checked_pk(pk) for pk in user_pks],
            "source": "reel_feed_timeline",
            "supported_capabilities_new": json.dumps(ig_config.SUPPORTED_CAPABILITIES),
        }
        self._require_login()
        data["_uuid"] = self._client.uuid
        request = functools.partial(
            self._client.private_request, "feed/reels_media/", data=data
        )
        return self._call("feed/reels_media/", lambda: _reels_stories(request()))

    def timeline(self, max_id: str | None = None) -> tuple[list[FeedPost], str | None]:
        """Return one page of the home feed, followed accounts' posts only.

        One request: `feed/timeline/` (`max_id`: the page's cursor, None for the
        newest). What is kept and the cursor returned: `_timeline_posts`.

        Raises:
            RateLimited, SessionExpired, ChallengeRequired, CannotConnect.

        """
        self._require_login()
        reason = "pull_to_refresh" if max_id is None else "pagination"
        request = functools.partial(
            self._client.get_timeline_feed, reason, max_id=max_id
        )
        return self._call("feed/timeline/", lambda: _timeline_posts(request()))

    def _checked_pk(self, value: str) -> str:
        pk = str(value).strip()
        if not DIGITS.fullmatch(pk):
            msg = f"Not an Instagram pk: {pk[:30]!r}"
            raise TargetNotFound(msg)
        return pk
