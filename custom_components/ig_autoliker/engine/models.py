"""Typed models of what Instagram returns, independent of instagrapi's pydantic types.

Only `client.py` builds these from instagrapi objects; everything else in the
integration works with them, so a change in instagrapi's models touches one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


class MediaKind(StrEnum):
    """What a liked item is, as named in events and counters.

    Instagram's `media_type` 1 is a photo, 8 a carousel (album), 2 a video; every feed
    video has been a reel since 2022, so 2 maps to `REEL`.
    """

    STORY = "story"
    PHOTO = "photo"
    ALBUM = "album"
    REEL = "reel"


class ChallengeMethod(StrEnum):
    """Where Instagram can send a challenge (checkpoint) security code."""

    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class Account:
    """The logged-in Instagram account.

    Attributes:
        pk: Instagram's numeric user id as a string (the config entry unique_id).
        username: The account's current username.
        full_name: Display name, may be empty.

    """

    pk: str
    username: str
    full_name: str


@dataclass(frozen=True, slots=True)
class TargetUser:
    """An Instagram account whose stories and posts are liked.

    Attributes:
        pk: Instagram's numeric user id as a string.
        username: The username it was resolved from.
        full_name: Display name, may be empty.
        is_private: True when the profile is private.

    """

    pk: str
    username: str
    full_name: str
    is_private: bool


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One story or post of a target.

    Attributes:
        pk: The media pk (numeric string); the key under which likes are stored.
        media_id: `<pk>_<owner pk>`, as Instagram's like endpoints expect it.
        owner_pk: pk of the account that posted it.
        kind: story, photo, album or reel.
        taken_at: When it was posted (timezone-aware UTC).
        has_liked: True when the logged-in account already likes it on Instagram.
        code: The shortcode of a post (None for stories).
        thumbnail_url: The feed item's own preview image on Instagram's CDN (signed,
            expires after days), None when the item has none. Reading it costs no
            request: it is part of the feed answer.

    """

    pk: str
    media_id: str
    owner_pk: str
    kind: MediaKind
    taken_at: datetime
    has_liked: bool
    code: str | None = None
    thumbnail_url: str | None = None


def media_link(username: str, item: MediaItem) -> str | None:
    """Return the public web address of a media, or None without a post's code.

    Posts, albums and reels open at `https://www.instagram.com/p/<code>/`; a story
    at `https://www.instagram.com/stories/<username>/<media pk>/` (the addresses
    Instagram's own "Copy link" gives; a story link works while the story lives).
    """
    if item.kind is MediaKind.STORY:
        return f"https://www.instagram.com/stories/{username}/{item.pk}/"
    return None if not item.code else f"https://www.instagram.com/p/{item.code}/"


@dataclass(frozen=True, slots=True)
class RecentLike:
    """One of a target's latest likes, as its "Last like" sensor lists them.

    Attributes:
        at: Unix seconds of the like.
        kind: story, photo, album or reel.
        url: The media's web address (`media_link`), or None.

    """

    at: float
    kind: MediaKind
    url: str | None


@dataclass(frozen=True, slots=True)
class TrayEntry:
    """A reels-tray entry: a followed account that has stories right now.

    Attributes:
        user_pk: The account's pk.
        latest_reel_media: Unix time (seconds) of its newest story.
        username: The account's username as the tray names it ("" when absent).

    """

    user_pk: str
    latest_reel_media: int
    username: str = ""


@dataclass(frozen=True, slots=True)
class FeedPost:
    """A post of a followed account as the home feed (`feed/timeline/`) shows it.

    Attributes:
        item: The post.
        username: Its owner's username (lower-case).

    """

    item: MediaItem
    username: str


@dataclass(frozen=True, slots=True)
class Target:
    """One account whose media the user wants liked, as configured.

    Attributes:
        pk: The target's Instagram pk (stable across renames).
        username: Its username when it was added (for messages).
        enabled: False while the user switched it off.
        like_stories: Like its stories.
        like_posts: Like its posts (photos, albums, reels).
        backlog_posts: Older posts to like when it was added, count; None for a
            target from before baselining (nothing is baselined).
        like_current_stories: Like the stories live when it was added.

    """

    pk: str
    username: str
    enabled: bool = True
    like_stories: bool = True
    like_posts: bool = True
    backlog_posts: int | None = None
    like_current_stories: bool = True
