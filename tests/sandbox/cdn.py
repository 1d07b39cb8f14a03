"""Instagram's image CDN (`scontent-*.cdninstagram.com`): the pictures feeds point at.

The feed answers (payloads.py) give each media's image candidates and each user's
profile picture as URLs on `payloads.CDN`; a client (Home Assistant's image proxy,
a browser) then loads them from there, without Instagram's session. The answers
(sources: SOURCES.md, "Image CDN"):

- a known picture: 200, `image/jpeg` (the URLs end in `.jpg`);
- a path the CDN did not sign: 403 `URL signature mismatch`, plain text;
- an expired signature: 403 `URL signature expired`, plain text
  (`Fault.CDN_SIGNATURE_EXPIRED`).

The picture itself is one small stand-in JPEG (a plain 32x40 tile) that carries the
media pk (or the user pk) in a JPEG comment, so each media's picture has its own
bytes and a test can tell which one a client was served.
"""

from __future__ import annotations

import base64
import re
import struct
from typing import Final

#: A 32x40 baseline JPEG (JFIF), one colour; drawn for the emulator.
_TILE: Final = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwz"
    "Oko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09P"
    "T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAoACADASIAAhEBAxEB/8QA"
    "FQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAA"
    "AAAAAAT/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCkBKuAAAAAAAAAAf/Z"
)
#: SOI (2 bytes) + the APP0/JFIF segment (marker 2 + length 16): the comment goes
#: after it, so the file still starts as JFIF does (`FF D8 FF E0`).
_AFTER_APP0: Final = 20
_COM: Final = b"\xff\xfe"  # JPEG comment marker (ITU T.81, table B.1)

#: Media images (`v/t51.2885-15/<media pk>_n.jpg`) and profile pictures
#: (`v/t51.2885-19/<user pk>_profile_n.jpg`), as payloads.py builds their URLs.
_PICTURE = re.compile(r"v/t51\.2885-1[59]/(?P<pk>\d+)_(?:profile_)?n\.jpg")

#: Body of the CDN's 403 for a signature it did not issue or that has expired.
SIGNATURE_MISMATCH: Final = b"URL signature mismatch"
SIGNATURE_EXPIRED: Final = b"URL signature expired"
TEXT_PLAIN: Final = "text/plain"
JPEG: Final = "image/jpeg"


def is_cdn_host(host: str) -> bool:
    """True for the image CDN's hosts (`*.cdninstagram.com`)."""
    return host.lower().rstrip(".").endswith(".cdninstagram.com")


def picture(pk: int) -> bytes:
    """Return the JPEG the CDN serves for a media pk (or a user pk's profile picture).

    Args:
        pk: The media pk (or user pk) in the picture's URL.

    Returns:
        A valid JPEG: the stand-in tile with `pk=<pk>` in a comment segment.

    """
    comment = f"pk={pk}".encode()
    segment = _COM + struct.pack(">H", len(comment) + 2) + comment
    return _TILE[:_AFTER_APP0] + segment + _TILE[_AFTER_APP0:]


def picture_pk(endpoint: str) -> int | None:
    """Return the pk in a picture path (`endpoint_of`), None for any other path."""
    match = _PICTURE.fullmatch(endpoint)
    return int(match["pk"]) if match else None
