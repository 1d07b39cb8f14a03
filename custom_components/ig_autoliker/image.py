"""Image: each target's last liked media, served through Home Assistant's image proxy.

The feed answer the cycle reads gives each liked item's preview as a signed URL on
Instagram's CDN; the engine stores the last one per target with the like
(`engine/state.py`, TargetState.last_thumbnail), so it outlives a restart. The
image entity hands it to Home Assistant's image proxy (`/api/image_proxy/<entity
id>`, `homeassistant/components/image`): Home Assistant loads the picture once per
URL and serves it to the frontend, so the browser never contacts the CDN and the
signed URL stays in Home Assistant (the entity's `entity_picture` is the proxy's
path, with its rotating access token).

The CDN answers 403 "URL signature expired" once a URL is a few days old
(tests/sandbox/SOURCES.md, "Image CDN"), may be unreachable, or may answer something
that is not a picture; the entity then serves a bundled placeholder
(`placeholder.svg`) instead of an error, until the next like brings a new picture.
Before any like there is no last liked media: the state is unknown and there is no
picture. The state is the last like's time: the target's page shows it, and, as an
image, it adds no logbook row (`ALWAYS_CONTINUOUS_DOMAINS`), unlike a timestamp
sensor. The attribute `recent_likes` lists the latest likes with links to the media.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import httpx
from homeassistant.components.image import (
    Image,
    ImageContentTypeError,
    ImageEntity,
    ImageEntityDescription,
    infer_image_type,
    valid_image_content_type,
)
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .entity import IgAutolikerTargetEntity, async_add_target_entities

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IgAutolikerConfigEntry, IgAutolikerCoordinator
    from .snapshot import TargetSnapshot
    from .targets import SubentryTarget as Target

PARALLEL_UPDATES = 0

#: The picture served when the liked item's own cannot be: a drawn frame, crossed.
PLACEHOLDER: Final = Path(__file__).parent / "placeholder.svg"
PLACEHOLDER_TYPE: Final = "image/svg+xml"

#: Seconds to wait for the CDN. Home Assistant's image proxy gives `async_image` 10 s
#: in all (`image.IMAGE_TIMEOUT`) and answers HTTP 500 when that runs out; 5 s
#: leaves time to serve the placeholder instead.
FETCH_TIMEOUT: Final = 5.0


@dataclass(frozen=True, kw_only=True)
class IgAutolikerTargetImageEntityDescription(ImageEntityDescription):
    """A target image and how to read it from the target's snapshot.

    Attributes:
        url_fn: The picture's URL (None: none known).
        updated_fn: When the picture last changed; the entity's state (None: never).
        attrs_fn: The entity's attributes beside the picture.

    """

    url_fn: Callable[[TargetSnapshot], str | None]
    updated_fn: Callable[[TargetSnapshot], datetime | None]
    attrs_fn: Callable[[TargetSnapshot], dict[str, Any]]


#: The attribute listing a target's latest likes.
ATTR_RECENT_LIKES: Final = "recent_likes"


def recent_likes_attribute(target: TargetSnapshot) -> dict[str, Any]:
    """Return the target's latest likes, newest first, with links to the media.

    Returns:
        `{"recent_likes": [{"at": ISO 8601 UTC, whole seconds, "kind": str,
        "url": str | None}]}`.

    """
    return {
        ATTR_RECENT_LIKES: [
            {
                # Whole seconds, as the state shows the last one.
                "at": dt_util.utc_from_timestamp(like.at)
                .replace(microsecond=0)
                .isoformat(),
                "kind": like.kind.value,
                "url": like.url,
            }
            for like in target.recent_likes
        ]
    }


TARGET_IMAGES: tuple[IgAutolikerTargetImageEntityDescription, ...] = (
    IgAutolikerTargetImageEntityDescription(
        key="last_media",
        translation_key="last_media",
        url_fn=lambda target: target.last_thumbnail,
        updated_fn=lambda target: whole_seconds(target.last_like),
        attrs_fn=recent_likes_attribute,
    ),
)


def whole_seconds(moment: datetime | None) -> datetime | None:
    """Drop the microseconds, as a timestamp sensor's state does."""
    return None if moment is None else moment.replace(microsecond=0)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IgAutolikerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every target's image, now and for targets added later."""
    placeholder = await hass.async_add_executor_job(PLACEHOLDER.read_bytes)

    def _target_images(
        coordinator: IgAutolikerCoordinator, target: Target
    ) -> list[IgAutolikerTargetImage]:
        return [
            IgAutolikerTargetImage(coordinator, target, description, placeholder)
            for description in TARGET_IMAGES
        ]

    async_add_target_entities(entry, async_add_entities, _target_images)


class _Failure(NamedTuple):
    """Why the CDN gave no picture, and whether asking again could change that."""

    reason: str  # no URL, no secret: an exception's class, a status, a content type
    lasting: bool


class IgAutolikerTargetImage(IgAutolikerTargetEntity, ImageEntity):
    """A target's last liked media, or the placeholder where the CDN gives none."""

    entity_description: IgAutolikerTargetImageEntityDescription

    def __init__(
        self,
        coordinator: IgAutolikerCoordinator,
        target: Target,
        description: IgAutolikerTargetImageEntityDescription,
        placeholder: bytes,
    ) -> None:
        """Attach to the target device; `placeholder` is `PLACEHOLDER`'s bytes."""
        super().__init__(coordinator, target, description)
        # The CDN is HTTPS with a public certificate: verify it (the image
        # component's default does not, for cameras on the local network).
        ImageEntity.__init__(self, coordinator.hass, verify_ssl=True)
        self._placeholder = placeholder
        #: The last picture loaded, with its URL (one per target, while it stays).
        self._loaded: tuple[str, Image] | None = None
        #: A URL whose answer will not change (403, not a picture): not asked again.
        self._refused: str | None = None
        #: The last URL whose failure was logged: one log line per picture.
        self._logged: str | None = None

    @property
    def image_url(self) -> str | None:
        """The last liked item's preview on Instagram's CDN (None: none known)."""
        snapshot = self.snapshot
        return None if snapshot is None else self.entity_description.url_fn(snapshot)

    @property
    def image_last_updated(self) -> datetime | None:
        """The last like's time: the state, and the frontend's cue to reload."""
        snapshot = self.snapshot
        return (
            None if snapshot is None else self.entity_description.updated_fn(snapshot)
        )

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The latest likes with links to the media (`recent_likes_attribute`)."""
        snapshot = self.snapshot
        return None if snapshot is None else self.entity_description.attrs_fn(snapshot)

    @property
    def entity_picture(self) -> str | None:
        """The image proxy's path; None before any like (the icon shows instead)."""
        if self.image_last_updated is None:
            return None
        return super().entity_picture

    async def async_image(self) -> bytes | None:
        """Return the liked item's picture, the placeholder, or None before any like.

        Returns:
            The bytes to serve; `content_type` says their type when this returns.
            None (the proxy answers "Unable to get image") only while nothing of
            the target was liked.

        """
        if self.image_last_updated is None:
            return None
        if (url := self.image_url) is not None and (
            image := await self._async_load(url)
        ) is not None:
            self._attr_content_type = image.content_type
            return image.content
        self._attr_content_type = PLACEHOLDER_TYPE
        return self._placeholder

    async def _async_load(self, url: str) -> Image | None:
        """Return the picture at `url` from memory or the CDN; None where it fails."""
        if self._loaded is not None and self._loaded[0] == url:
            return self._loaded[1]
        if url == self._refused:
            return None
        answer = await self._async_fetch(url)
        if isinstance(answer, _Failure):
            if self._logged != url:
                self._logged = url
                # Never the URL itself: its query is Instagram's signature.
                LOGGER.debug(
                    "%s: the CDN gave no picture (%s); showing the placeholder",
                    self.entity_id,
                    answer.reason,
                )
            if answer.lasting:
                self._refused = url
            return None
        self._loaded = (url, answer)
        return answer

    async def _async_fetch(self, url: str) -> Image | _Failure:
        """Ask the CDN for `url` (one GET, redirects followed, `FETCH_TIMEOUT` s).

        Returns:
            The picture, or why there is none: a network error or a server error
            may pass (asked again at the next view), a refusal (4xx) or an answer
            that is not a picture does not.

        """
        try:
            response = await self._client.get(
                url, timeout=FETCH_TIMEOUT, follow_redirects=True
            )
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            # The class only: httpx's messages name the URL.
            return _Failure(type(err).__name__, lasting=False)
        if response.status_code != HTTPStatus.OK:
            return _Failure(
                f"HTTP {response.status_code}", lasting=response.is_client_error
            )
        content_type = response.headers.get("content-type") or infer_image_type(
            response.content
        )
        try:
            return Image(valid_image_content_type(content_type), response.content)
        except ImageContentTypeError:
            return _Failure(f"content type {content_type}", lasting=True)
