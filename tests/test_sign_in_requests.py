# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""
What one sign-in sends to Instagram, read from the emulator's request log.

A request log of a two-factor sign-in showed the CAA login request (the password)
twice and `accounts/current_user/` twice back to back. Real instagrapi against the
emulator shows where each comes from:

- instagrapi's `login(verification_code=...)` starts the CAA flow over (preflight and
  password), so an adapter that calls it once without and once with the code sends
  the password twice. The context of the first attempt is enough to finish the login
  with the code alone (instagrapi's own Bloks two-factor step), which the emulator
  serves, as Instagram's app does.
- the config flow reads `accounts/current_user/` after its login, and the entry's
  setup validated the session it was just handed with the same request.

The adapter now finishes on the first attempt's two-factor screen
(`engine/two_factor.py`), and setup trusts the session the flow hands over; the
integration-side tests below hold both.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
from instagrapi import Client
from instagrapi.exceptions import TwoFactorRequired

from tests.sandbox.testworld import ALICE, CAROL, DAVE
from tests.sandbox.world import CAA_LOGIN_ENDPOINT

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from tests.sandbox import Sandbox
    from tests.sandbox.testworld import Credentials

CURRENT_USER = "accounts/current_user/"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


def _client(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A plain instagrapi client reaching the emulator through its proxy and CA."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    client = Client(delay_range=None, request_timeout=0, session_retry_total=0)
    client.set_proxy(sandbox.proxy_url)
    client.set_tls_verify(os.environ["REQUESTS_CA_BUNDLE"])
    return client


def test_instagrapi_login_with_the_code_sends_the_password_again(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calling `login()` again with the code repeats the whole CAA flow."""
    client = _client(sandbox, monkeypatch)
    with pytest.raises(TwoFactorRequired):
        client.login(CAROL.username, CAROL.password)
    first = len(sandbox.world.requests())
    client.login(CAROL.username, CAROL.password, verification_code=CAROL.code)

    assert sandbox.world.count(CAA_LOGIN_ENDPOINT) == 2
    # preflight (4) + login + 4 two-factor steps + reels tray + timeline
    assert len(sandbox.world.requests()) - first == 11


def test_the_code_continues_the_first_attempt(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator finishes a login on the first attempt's two-factor context."""
    client = _client(sandbox, monkeypatch)
    with pytest.raises(TwoFactorRequired) as raised:
        client.login(CAROL.username, CAROL.password)
    context = raised.value.two_step_verification_context  # type: ignore[attr-defined]
    first = len(sandbox.world.requests())

    # instagrapi's own Bloks two-factor step (mixins/auth.py); private, and the only
    # one of its methods that continues a context instead of starting over.
    assert client._login_with_bloks_two_factor(
        CAROL.code, {"two_step_verification_context": context}, raised.value
    )
    client.login_flow()

    assert sandbox.world.count(CAA_LOGIN_ENDPOINT) == 1
    assert len(sandbox.world.requests()) - first == 6  # 4 two-factor steps + 2 feeds
    assert client.account_info().username == CAROL.username


async def _sign_in(hass: HomeAssistant, account: Credentials) -> None:
    """Add the account through the config flow and let its entry set up."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": account.username, "password": account.password}
    )
    if account.code is not None:
        assert result["step_id"] == "two_factor"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"code": account.code}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("account", "legacy_logins"), [(CAROL, 0), (DAVE, 1)], ids=["caa", "legacy"]
)
async def test_two_factor_sign_in_sends_the_password_once(
    hass: HomeAssistant,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    account: Credentials,
    legacy_logins: int,
) -> None:
    """
    Config flow and setup of a two-factor account: each login request once.

    On the legacy route instagrapi's CAA request is answered with the fallback and
    `accounts/login/` follows, once each.
    """
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    await _sign_in(hass, account)
    assert sandbox.world.count(CAA_LOGIN_ENDPOINT) == 1
    assert sandbox.world.count("accounts/login/") == legacy_logins


@pytest.mark.parametrize("account", [ALICE, CAROL], ids=["alice", "carol"])
async def test_sign_in_reads_the_account_once(
    hass: HomeAssistant,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    account: Credentials,
) -> None:
    """Config flow and setup: one `accounts/current_user/`."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    await _sign_in(hass, account)
    assert sandbox.world.count(CURRENT_USER) == 1
