"""A target's "Last liked media" image: what Home Assistant's image proxy serves.

The picture comes from the emulator's image CDN (tests/sandbox/cdn.py) through Home
Assistant's own HTTPS client and the emulator's proxy, as from Instagram's CDN; the
frontend asks the proxy (`/api/image_proxy/<entity id>`), as here with `hass_client`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from custom_components.ig_autoliker.const import DOMAIN, EVENT_LIKED
from custom_components.ig_autoliker.diagnostics import (
    async_get_config_entry_diagnostics,
)
from homeassistant.const import STATE_UNKNOWN
from homeassistant.util import dt as dt_util
from homeassistant.util.ssl import SSL_ALPN_HTTP11, SSLCipherList, client_context

from tests.sandbox import Fault, Sandbox, World, cdn
from tests.sandbox.payloads import CDN
from tests.sandbox.testworld import PUBLIC

from .conftest import run_cycle
from .test_activity import capture
from .test_controls import entity_id, target_pk

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

PLACEHOLDER = (
    Path(__file__).parents[2] / "custom_components" / DOMAIN / "placeholder.svg"
).read_bytes()
#: The media pictures' paths on the CDN (the endpoint the emulator's faults match).
PICTURES = "v/t51.2885-15/*"


@pytest.fixture(autouse=True)
def trust_the_emulator(instagram: Sandbox) -> None:
    """Let Home Assistant's HTTPS client trust the emulator's CA.

    Home Assistant builds its client SSL contexts when `homeassistant.util.ssl` is
    imported, from REQUESTS_CA_BUNDLE as set then (scripts/develop sets it before
    starting Home Assistant); here the variable is set after that import, so the CA
    is added to the context the image entity's client uses.
    """
    context = client_context(SSLCipherList.PYTHON_DEFAULT, SSL_ALPN_HTTP11)
    context.load_verify_locations(cafile=str(instagram.ca_path))


def image_of(hass: HomeAssistant, entry: MockConfigEntry, world: World) -> str:
    """The entity id of PUBLIC's "Last liked media" image."""
    return entity_id(
        hass, "image", f"{entry.unique_id}_{target_pk(world, PUBLIC)}_last_media"
    )


def last_like_of(events: list[Event], username: str) -> Event:
    """The last like event of a target."""
    likes = [e for e in events if e.event_type == EVENT_LIKED]
    return [e for e in likes if e.data["target"] == username][-1]


async def proxy(
    hass_client: ClientSessionGenerator, image: str
) -> tuple[int, str | None, bytes]:
    """Ask Home Assistant's image proxy as the frontend does: status, type, body."""
    client = await hass_client()
    response = await client.get(f"/api/image_proxy/{image}")
    return response.status, response.headers.get("content-type"), await response.read()


def pictures_fetched(world: World) -> int:
    """Requests for media pictures that reached the emulator's CDN."""
    return sum(1 for r in world.requests(PICTURES) if cdn.is_cdn_host(r.host))


async def test_the_proxy_serves_the_last_liked_media(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    world: World,
) -> None:
    """After a like: its time is the state; the proxy serves the CDN's picture."""
    events = capture(hass)
    await run_cycle(hass, setup_integration)
    like = last_like_of(events, PUBLIC)
    image = image_of(hass, setup_integration, world)
    stored = setup_integration.runtime_data.engine.stored.target(
        target_pk(world, PUBLIC)
    )

    state = hass.states.get(image)
    assert state is not None
    assert stored.last_like is not None
    assert state.state == (  # the like's time, in whole seconds
        dt_util.utc_from_timestamp(stored.last_like).replace(microsecond=0).isoformat()
    )
    assert state.attributes["entity_picture"].startswith(f"/api/image_proxy/{image}?")

    assert await proxy(hass_client, image) == (
        HTTPStatus.OK,
        "image/jpeg",
        cdn.picture(like.data["media_pk"]),
    )
    # Home Assistant asked the CDN once, and keeps the picture for the next view.
    assert pictures_fetched(world) == 1
    assert (await proxy(hass_client, image))[2] == cdn.picture(like.data["media_pk"])
    assert pictures_fetched(world) == 1
    # The signed CDN URL is in no state (the image's picture is the proxy's path).
    for shown in hass.states.async_all():
        assert CDN not in str(shown.attributes), shown.entity_id


async def test_no_picture_before_any_like(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    world: World,
) -> None:
    """Nothing liked yet: the state is unknown, no picture, no request to the CDN."""
    image = image_of(hass, setup_integration, world)
    state = hass.states.get(image)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert "entity_picture" not in state.attributes  # the icon shows instead

    status, _type, _body = await proxy(hass_client, image)
    assert status == HTTPStatus.INTERNAL_SERVER_ERROR  # "Unable to get image"
    assert pictures_fetched(world) == 0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.CDN_SIGNATURE_EXPIRED, "HTTP 403"),
        (Fault.CONNECTION_RESET, "ReadError"),
        (Fault.MALFORMED_JSON, "content type application/json; charset=utf-8"),
    ],
    ids=["signature_expired", "unreachable", "not_a_picture"],
)
async def test_the_placeholder_stands_in_when_the_cdn_fails(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    *,
    setup_integration: MockConfigEntry,
    world: World,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    reason: str,
) -> None:
    """The placeholder, logged once at debug, without the signed URL."""
    caplog.set_level(logging.DEBUG, logger=f"custom_components.{DOMAIN}")
    world.faults.add(PICTURES, fault, times=None)
    await run_cycle(hass, setup_integration)
    image = image_of(hass, setup_integration, world)
    assert hass.states.get(image).state != STATE_UNKNOWN

    for _view in range(2):
        assert await proxy(hass_client, image) == (
            HTTPStatus.OK,
            "image/svg+xml",
            PLACEHOLDER,
        )
    logged = [r for r in caplog.records if "placeholder" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in logged] == [
        (
            logging.DEBUG,
            f"{image}: the CDN gave no picture ({reason}); showing the placeholder",
        )
    ]
    ours = " ".join(
        r.getMessage() for r in caplog.records if r.name.startswith("custom_components")
    )
    assert "cdninstagram" not in ours  # never the signed URL
    assert "token" not in ours  # nor the proxy's access token
    # A refusal or an answer that is not a picture is not asked again; a network
    # failure is, at the next view.
    assert pictures_fetched(world) == (2 if fault is Fault.CONNECTION_RESET else 1)


async def test_the_cdn_back_brings_the_picture_back(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    world: World,
) -> None:
    """An unreachable CDN is asked again at the next view: the picture returns."""
    events = capture(hass)
    world.faults.add(PICTURES, Fault.CONNECTION_RESET)
    await run_cycle(hass, setup_integration)
    image = image_of(hass, setup_integration, world)

    assert (await proxy(hass_client, image))[1:] == ("image/svg+xml", PLACEHOLDER)
    media_pk = last_like_of(events, PUBLIC).data["media_pk"]
    assert (await proxy(hass_client, image))[1:] == (
        "image/jpeg",
        cdn.picture(media_pk),
    )


async def test_after_a_restart_the_last_liked_media_comes_back(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    world: World,
) -> None:
    """The preview's URL is stored with the like: the picture outlives a reload."""
    events = capture(hass)
    await run_cycle(hass, setup_integration)
    media_pk = last_like_of(events, PUBLIC).data["media_pk"]
    image = image_of(hass, setup_integration, world)
    liked_at = hass.states.get(image).state

    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(image).state == liked_at
    assert await proxy(hass_client, image) == (
        HTTPStatus.OK,
        "image/jpeg",
        cdn.picture(media_pk),
    )
    assert pictures_fetched(world) == 1  # asked anew: nothing of it is in memory
    # Stored, and still in no state or diagnostics.
    for shown in hass.states.async_all():
        assert CDN not in str(shown.attributes), shown.entity_id
    dump = await async_get_config_entry_diagnostics(hass, setup_integration)
    assert CDN not in str(dump)


async def test_after_a_restart_an_expired_preview_is_the_placeholder(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_integration: MockConfigEntry,
    world: World,
) -> None:
    """Once Instagram's signature expired the CDN refuses it: the placeholder."""
    await run_cycle(hass, setup_integration)
    image = image_of(hass, setup_integration, world)
    liked_at = hass.states.get(image).state

    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    world.faults.add(PICTURES, Fault.CDN_SIGNATURE_EXPIRED, times=None)

    assert hass.states.get(image).state == liked_at
    assert await proxy(hass_client, image) == (
        HTTPStatus.OK,
        "image/svg+xml",
        PLACEHOLDER,
    )
    assert pictures_fetched(world) == 1  # asked once, refused
