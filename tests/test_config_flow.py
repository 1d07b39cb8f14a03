# Copyright (C) 2026 the ig_autoliker authors. SPDX-License-Identifier: MIT
"""
The config, options and target subentry flows, against the Instagram emulator.

instagrapi is real and talks to tests/sandbox through the standard proxy variables;
only the integration's own setup is replaced where a test is about the flow alone.
Every flow result is checked against translations/en.json (`check_translations`).
"""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

import pytest
from custom_components.ig_autoliker.const import (
    CONF_BACKLOG_POSTS,
    CONF_BACKOFF_BASE,
    CONF_BACKOFF_MAX,
    CONF_CYCLE_INTERVAL,
    CONF_DELAY_REQUESTS,
    CONF_JITTER,
    CONF_LIKE_CURRENT_STORIES,
    CONF_LIKE_POSTS,
    CONF_LIKE_STORIES,
    CONF_MAX_LIKES_DAY,
    CONF_SESSION,
    CONF_TARGET_PK,
    CONF_WARMUP_DAYS,
    DEFAULT_OPTIONS,
    DOMAIN,
    OPTION_SECTIONS,
    OPTIONS,
    SUBENTRY_TYPE_TARGET,
)
from custom_components.ig_autoliker.signin import normalize_code
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.const import CONF_METHOD, CONF_PASSWORD, CONF_USERNAME
from homeassistant.data_entry_flow import FlowManager, FlowResultType, section
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.flow_helpers import (
    check_result,
    leaves,
    option_texts,
    placeholders,
    translations,
)
from tests.sandbox import Fault
from tests.sandbox.testworld import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    FRANK,
    MISSING,
    PRIVATE_FOLLOWED,
    PRIVATE_STRANGER,
    PUBLIC,
    pk_of,
)
from tests.sandbox.world import CAA_LOGIN_ENDPOINT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from tests.sandbox import Sandbox, World

TWO_FACTOR_VERIFY = (
    "bloks/async_action/com.bloks.www.two_step_verification.verify_code.async/"
)
CHALLENGE = "challenge/*/*/"
USERNAMEINFO = "users/*/usernameinfo/"
#: An Instagram error no specific class exists for (400 with an unknown message).
ODD_ERROR = {"status": 400, "body": b'{"status": "fail", "message": "Something odd"}'}


# ------------------------------------------------------------------ fixtures --


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def check_translations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test whose flow shows the user something untranslated."""
    original = FlowManager._async_handle_step

    async def _checked(self: FlowManager[Any, Any, Any], flow: Any, *args: Any) -> Any:
        result = await original(self, flow, *args)
        check_result(flow, result)
        return result

    monkeypatch.setattr(FlowManager, "_async_handle_step", _checked)


@pytest.fixture
def world(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> World:
    """The emulator's state, reached through the standard proxy and CA variables."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox.world


@pytest.fixture
async def mock_setup(hass: HomeAssistant) -> AsyncIterator[AsyncMock]:
    """Replace the integration's setup: these tests are about the flow alone."""
    with (
        patch(
            "custom_components.ig_autoliker.async_setup_entry", return_value=True
        ) as setup,
        patch("custom_components.ig_autoliker.async_unload_entry", return_value=True),
    ):
        yield setup
        # Unload while patched: the real unload expects the real setup's data.
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)


def account_entry(
    world: World,
    username: str = ALICE.username,
    *,
    unique_id: str | None = None,
    subentries: list[ConfigSubentryData] | None = None,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """An entry as the user flow creates it (after setup took the session)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=username,
        unique_id=unique_id or pk_of(world, username),
        data={CONF_USERNAME: username, CONF_PASSWORD: "old-password"},
        subentries_data=subentries or [],
        options=options or {},
    )


def fields(schema: Any) -> dict[Any, Any]:
    """Every field marker of a form -> its selector, sections opened."""
    found: dict[Any, Any] = {}
    for marker, value in schema.schema.items():
        if isinstance(value, section):
            found.update(fields(value.schema))
        else:
            found[marker] = value
    return found


def suggested(result: dict[str, Any], field: str) -> Any:
    """The value a form pre-fills for `field` (suggested value or default)."""
    for marker in fields(result["data_schema"]):
        if str(marker) == field:
            if marker.description and "suggested_value" in marker.description:
                return marker.description["suggested_value"]
            return marker.default() if callable(marker.default) else None
    msg = f"no field {field}"
    raise AssertionError(msg)


def assert_live_session(world: World, session: dict[str, Any], username: str) -> None:
    """The handed-over session is one the emulator issued to `username`."""
    sessionid = session["authorization_data"]["sessionid"]
    live = world.session(sessionid)
    assert live is not None
    assert str(live.pk) == pk_of(world, username)


async def start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Open the user step and check it is the empty credentials form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return dict(result)


async def submit(hass: HomeAssistant, result: dict[str, Any], **data: Any) -> Any:
    """Submit the current form of a config flow."""
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


async def log_in(hass: HomeAssistant, username: str, password: str) -> Any:
    """Run the user step up to its first answer."""
    result = await start_user_flow(hass)
    return await submit(hass, result, username=username, password=password)


# ----------------------------------------------------------------- user step --


@pytest.mark.usefixtures("mock_setup")
async def test_user_creates_entry(hass: HomeAssistant, world: World) -> None:
    """Username is trimmed, "@"-less and lowercase; the fresh session is handed over."""
    result = await log_in(hass, "  @Alice ", ALICE.password)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == ALICE.username
    assert result["result"].unique_id == pk_of(world, ALICE.username)
    data = result["data"]
    assert set(data) == {CONF_USERNAME, CONF_PASSWORD, CONF_SESSION}
    assert data[CONF_USERNAME] == ALICE.username
    assert data[CONF_PASSWORD] == ALICE.password
    assert_live_session(world, data[CONF_SESSION], ALICE.username)
    assert result["options"] == {}
    assert world.login_attempts() == 1


@pytest.mark.usefixtures("mock_setup")
async def test_user_title_is_instagram_username(
    hass: HomeAssistant, world: World
) -> None:
    """Logged in by email, the entry is named after the account's username."""
    result = await log_in(hass, "Alice@Example.com", ALICE.password)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == ALICE.username
    assert result["data"][CONF_USERNAME] == "alice@example.com"
    assert result["result"].unique_id == pk_of(world, ALICE.username)


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize("username", [ALICE.username, "nobody_here"])
async def test_user_invalid_auth_then_recovers(
    hass: HomeAssistant, world: World, username: str
) -> None:
    """A refused login keeps the username in the form and can be corrected."""
    result = await log_in(hass, username, "wrong-password")

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result, CONF_USERNAME) == username
    assert suggested(result, CONF_PASSWORD) is None

    result = await submit(
        hass, result, username=ALICE.username, password=ALICE.password
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == ALICE.username


@pytest.mark.usefixtures("mock_setup")
async def test_password_retry_keeps_the_device(
    hass: HomeAssistant, world: World
) -> None:
    """A mistyped password does not make Instagram see a second phone."""
    result = await log_in(hass, ALICE.username, "wrong-password")
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    first_device = flow._api.export_session()["uuids"]

    result = await submit(
        hass, result, username=ALICE.username, password=ALICE.password
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SESSION]["uuids"] == first_device


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(
    ("username", "password"),
    [("   ", ALICE.password), ("@", ALICE.password), (ALICE.username, "")],
)
async def test_user_blank_credentials_send_nothing(
    hass: HomeAssistant, world: World, username: str, password: str
) -> None:
    """Nothing that cannot log in reaches Instagram."""
    result = await log_in(hass, username, password)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert world.requests() == []


@pytest.mark.usefixtures("mock_setup")
async def test_user_known_username_aborts_without_login(
    hass: HomeAssistant, world: World
) -> None:
    """An account set up already is not logged in again (no new device)."""
    account_entry(world).add_to_hass(hass)

    result = await log_in(hass, " ALICE", ALICE.password)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert world.requests() == []


@pytest.mark.usefixtures("mock_setup")
async def test_user_known_account_aborts_after_login(
    hass: HomeAssistant, world: World
) -> None:
    """The same account under another login name is found by its pk."""
    account_entry(world).add_to_hass(hass)

    result = await log_in(hass, "alice@example.com", ALICE.password)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert world.login_attempts() == 1
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(
    ("endpoint", "fault", "error"),
    [
        (CAA_LOGIN_ENDPOINT, Fault.HTTP_429, "rate_limited"),
        (CAA_LOGIN_ENDPOINT, Fault.PLEASE_WAIT, "rate_limited"),
        (CAA_LOGIN_ENDPOINT, Fault.FEEDBACK_REQUIRED, "rate_limited"),
        (CAA_LOGIN_ENDPOINT, Fault.HTTP_500, "cannot_connect"),
        ("accounts/current_user/", Fault.CONNECTION_RESET, "cannot_connect"),
        (CAA_LOGIN_ENDPOINT, Fault.RAW, "unknown"),
        # Instagram forgets the session it just issued: unexpected during a login.
        ("accounts/current_user/", Fault.LOGIN_REQUIRED, "reauth_required"),
    ],
)
async def test_user_instagram_errors(
    hass: HomeAssistant,
    world: World,
    caplog: pytest.LogCaptureFixture,
    *,
    endpoint: str,
    fault: Fault,
    error: str,
) -> None:
    """Each failure shows its error; the next try of the same flow succeeds."""
    extra = ODD_ERROR if fault is Fault.RAW else {}
    rule = world.faults.add(endpoint, fault, times=None, **extra)
    caplog.set_level(logging.DEBUG)

    result = await log_in(hass, ALICE.username, ALICE.password)

    assert rule.fired >= 1
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert ("Unexpected error" in caplog.text) is (error == "unknown")
    assert ALICE.password not in caplog.text

    world.faults.clear()
    result = await submit(
        hass, result, username=ALICE.username, password=ALICE.password
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


# ------------------------------------------------------------ two-factor step --


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize("account", [CAROL, DAVE], ids=["caa", "legacy"])
async def test_two_factor(hass: HomeAssistant, world: World, account: Any) -> None:
    """The code (pasted with spaces) finishes the login on the same device."""
    result = await log_in(hass, account.username, account.password)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "two_factor"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {CONF_USERNAME: account.username}

    code = f" {account.code[:3]} {account.code[3:]} "
    result = await submit(hass, result, code=code)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == account.username
    assert result["result"].unique_id == pk_of(world, account.username)
    assert result["data"][CONF_PASSWORD] == account.password
    assert_live_session(world, result["data"][CONF_SESSION], account.username)
    assert len(world.sessions_of(account.username)) == 1


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(
    ("account", "verify"),
    [(CAROL, TWO_FACTOR_VERIFY), (DAVE, "accounts/two_factor_login/")],
    ids=["caa", "legacy"],
)
async def test_two_factor_wrong_code(
    hass: HomeAssistant, world: World, account: Any, verify: str
) -> None:
    """A refused code can be entered again; the password is not sent again."""
    result = await log_in(hass, account.username, account.password)
    logins = world.login_attempts()
    verifications = world.count(verify)

    result = await submit(hass, result, code="000000")

    assert result["step_id"] == "two_factor"
    assert result["errors"] == {"base": "invalid_code"}
    assert world.count(verify) == verifications + 1

    result = await submit(hass, result, code=account.code)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert world.count(verify) == verifications + 2
    assert world.login_attempts() == logins


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(
    "code", ["", "   ", "abc123", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
async def test_two_factor_impossible_code_sends_nothing(
    hass: HomeAssistant, world: World, code: str
) -> None:
    """Empty or non-digit codes are refused without a request."""
    result = await log_in(hass, CAROL.username, CAROL.password)
    requests = len(world.requests())

    result = await submit(hass, result, code=code)

    assert result["step_id"] == "two_factor"
    assert result["errors"] == {"base": "invalid_code"}
    assert len(world.requests()) == requests


@pytest.mark.usefixtures("mock_setup")
async def test_two_factor_then_challenge(hass: HomeAssistant, world: World) -> None:
    """Instagram may put a checkpoint after the code; the flow continues with it."""
    result = await log_in(hass, DAVE.username, DAVE.password)
    world.faults.add("accounts/two_factor_login/", Fault.CHALLENGE_CODES)

    result = await submit(hass, result, code=DAVE.code)

    assert result["step_id"] == "challenge"
    challenge = world.challenge_for(int(pk_of(world, DAVE.username)))
    assert challenge is not None

    result = await submit(hass, result, method="email")
    assert result["step_id"] == "challenge_code"
    result = await submit(hass, result, code=challenge.code)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == pk_of(world, DAVE.username)


# ------------------------------------------------------------ challenge steps --


@pytest.mark.usefixtures("mock_setup")
async def test_challenge_choose_method(hass: HomeAssistant, world: World) -> None:
    """With email and SMS offered the user picks; the code goes out only then."""
    result = await log_in(hass, ERIN.username, ERIN.password)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "challenge"
    assert result["description_placeholders"] == {CONF_USERNAME: ERIN.username}
    selector = result["data_schema"].schema[CONF_METHOD]
    assert selector.config["options"] == ["email", "sms"]
    assert suggested(result, CONF_METHOD) == "email"
    assert world.codes_sent == []

    result = await submit(hass, result, method="sms")

    assert result["step_id"] == "challenge_code"
    assert result["errors"] == {}
    assert [(sent.username, sent.method) for sent in world.codes_sent] == [
        (ERIN.username, "sms")
    ]

    result = await submit(hass, result, code="000000")
    assert result["step_id"] == "challenge_code"
    assert result["errors"] == {"base": "invalid_code"}

    result = await submit(hass, result, code=f" {ERIN.code} ")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == ERIN.username
    assert result["result"].unique_id == pk_of(world, ERIN.username)
    assert_live_session(world, result["data"][CONF_SESSION], ERIN.username)
    assert world.challenge_for(int(pk_of(world, ERIN.username))) is None


@pytest.mark.usefixtures("mock_setup")
async def test_challenge_single_method_sends_at_once(
    hass: HomeAssistant, world: World
) -> None:
    """With only email offered there is nothing to choose."""
    result = await log_in(hass, FRANK.username, FRANK.password)

    assert result["step_id"] == "challenge_code"
    assert [(sent.username, sent.method) for sent in world.codes_sent] == [
        (FRANK.username, "email")
    ]

    result = await submit(hass, result, code=FRANK.code)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == FRANK.username


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize("code", ["", " \t", "12-34"])
async def test_challenge_impossible_code_sends_nothing(
    hass: HomeAssistant, world: World, code: str
) -> None:
    """Empty or non-digit checkpoint codes are refused without a request."""
    result = await log_in(hass, FRANK.username, FRANK.password)
    requests = len(world.requests())

    result = await submit(hass, result, code=code)

    assert result["step_id"] == "challenge_code"
    assert result["errors"] == {"base": "invalid_code"}
    assert len(world.requests()) == requests


@pytest.mark.usefixtures("mock_setup")
async def test_challenge_without_codes_is_passed_in_the_app(
    hass: HomeAssistant, world: World
) -> None:
    """A checkpoint without email or SMS is passed in the app, then signed in again."""
    world.add_account(
        "gina_selfie",
        "gina-pass",
        challenge_code="555555",
        challenge_methods=(),
        challenge_native=False,
    )

    result = await log_in(hass, "gina_selfie", "gina-pass")

    assert result["step_id"] == "challenge_app"
    assert world.codes_sent == []


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.CHALLENGE_REQUIRED, "challenge_failed"),
        (Fault.HTTP_429, "rate_limited"),
        (Fault.HTTP_503, "cannot_connect"),
    ],
)
async def test_challenge_sending_fails(
    hass: HomeAssistant, world: World, fault: Fault, error: str
) -> None:
    """When the code cannot be sent the user may choose again."""
    result = await log_in(hass, ERIN.username, ERIN.password)
    world.faults.add(CHALLENGE, fault, method="POST")

    result = await submit(hass, result, method="email")

    assert result["step_id"] == "challenge"
    assert result["errors"] == {"base": error}
    assert world.codes_sent == []

    result = await submit(hass, result, method="email")
    assert result["step_id"] == "challenge_code"
    assert [sent.method for sent in world.codes_sent] == ["email"]


@pytest.mark.usefixtures("mock_setup")
async def test_challenge_single_method_sending_fails(
    hass: HomeAssistant, world: World
) -> None:
    """A failed automatic send offers the one method to retry."""
    world.faults.add(CHALLENGE, Fault.HTTP_503, method="POST")

    result = await log_in(hass, FRANK.username, FRANK.password)

    assert result["step_id"] == "challenge"
    assert result["errors"] == {"base": "cannot_connect"}
    assert result["data_schema"].schema[CONF_METHOD].config["options"] == ["email"]

    result = await submit(hass, result, method="email")
    assert result["step_id"] == "challenge_code"


@pytest.mark.usefixtures("mock_setup")
async def test_challenge_code_checkpoint_fails(
    hass: HomeAssistant, world: World
) -> None:
    """A new checkpoint while submitting the code is reported, not followed."""
    result = await log_in(hass, FRANK.username, FRANK.password)
    world.faults.add(CHALLENGE, Fault.CHALLENGE_REQUIRED, method="POST")

    result = await submit(hass, result, code=FRANK.code)

    assert result["step_id"] == "challenge_code"
    assert result["errors"] == {"base": "challenge_failed"}


# -------------------------------------------------------------------- reauth --


async def test_reauth(hass: HomeAssistant, world: World, mock_setup: AsyncMock) -> None:
    """A new password logs in afresh; entry data gets it plus the new session."""
    entry = account_entry(world)
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"][CONF_USERNAME] == ALICE.username

    result = await submit(hass, result, password="still-wrong")
    assert result["errors"] == {"base": "invalid_auth"}

    result = await submit(hass, result, password=ALICE.password)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_USERNAME] == ALICE.username
    assert entry.data[CONF_PASSWORD] == ALICE.password
    assert_live_session(world, entry.data[CONF_SESSION], ALICE.username)
    assert mock_setup.call_count == 1  # reloaded with the new credentials


@pytest.mark.usefixtures("mock_setup")
async def test_reauth_blank_password_sends_nothing(
    hass: HomeAssistant, world: World
) -> None:
    """An empty password is refused without a request."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await submit(hass, result, password="")

    assert result["errors"] == {"base": "invalid_auth"}
    assert world.requests() == []


@pytest.mark.usefixtures("mock_setup")
async def test_reauth_two_factor(hass: HomeAssistant, world: World) -> None:
    """Reauthentication goes through two-factor like the first login."""
    entry = account_entry(world, CAROL.username)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await submit(hass, result, password=CAROL.password)
    assert result["step_id"] == "two_factor"
    result = await submit(hass, result, code=CAROL.code)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert_live_session(world, entry.data[CONF_SESSION], CAROL.username)


@pytest.mark.usefixtures("mock_setup")
async def test_reauth_wrong_account(hass: HomeAssistant, world: World) -> None:
    """Credentials of another account never replace the entry's."""
    entry = account_entry(world, unique_id=pk_of(world, BOB.username))
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await submit(hass, result, password=ALICE.password)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert result["description_placeholders"] == {CONF_USERNAME: ALICE.username}
    assert entry.data[CONF_PASSWORD] == "old-password"
    assert CONF_SESSION not in entry.data


async def test_reauth_running_entry(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry
) -> None:
    """The reloaded entry takes the handed-over session into its store."""
    result = await loaded_entry.start_reauth_flow(hass)
    with patch("custom_components.ig_autoliker.async_call_later"):
        result = await submit(hass, result, password=ALICE.password)
        await hass.async_block_till_done()

    assert result["reason"] == "reauth_successful"
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert CONF_SESSION not in loaded_entry.data
    assert len(world.sessions_of(ALICE.username)) == 2


# --------------------------------------------------------------- reconfigure --


async def test_reconfigure(
    hass: HomeAssistant, world: World, mock_setup: AsyncMock
) -> None:
    """Username and password change; the entry reloads with them."""
    entry = account_entry(world)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert suggested(result, CONF_USERNAME) == ALICE.username

    result = await submit(
        hass, result, username="Alice@Example.com ", password=ALICE.password
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_USERNAME] == "alice@example.com"
    assert entry.data[CONF_PASSWORD] == ALICE.password
    assert_live_session(world, entry.data[CONF_SESSION], ALICE.username)
    assert entry.title == ALICE.username
    assert mock_setup.call_count == 1


@pytest.mark.usefixtures("mock_setup")
async def test_reconfigure_error_keeps_username(
    hass: HomeAssistant, world: World
) -> None:
    """After an error the form shows what the user typed, never the password."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await submit(hass, result, username="ALICE", password="nope")

    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result, CONF_USERNAME) == ALICE.username
    assert suggested(result, CONF_PASSWORD) is None


@pytest.mark.usefixtures("mock_setup")
async def test_reconfigure_wrong_account(hass: HomeAssistant, world: World) -> None:
    """Another account's credentials abort; the entry stays as it was."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await submit(hass, result, username=BOB.username, password=BOB.password)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_USERNAME] == ALICE.username


# ------------------------------------------------------------------- options --


def option_values(**changes: float) -> dict[str, float]:
    """Every option at its default, with `changes`."""
    return {**DEFAULT_OPTIONS, **changes}


def form_answer(values: dict[str, float]) -> dict[str, dict[str, float]]:
    """Flat option values as the sectioned options form sends them."""
    answer: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        answer.setdefault(OPTION_SECTIONS[key], {})[key] = value
    return answer


def test_every_option_has_a_section() -> None:
    """OPTION_SECTIONS is the one table; a new option without a section fails here."""
    assert set(OPTION_SECTIONS) == set(OPTIONS)


@pytest.mark.usefixtures("mock_setup")
async def test_options_form_shows_current_values(
    hass: HomeAssistant, world: World
) -> None:
    """Stored values pre-fill their fields; the others show the defaults."""
    entry = account_entry(world, options={CONF_CYCLE_INTERVAL: 120})
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    schema = result["data_schema"].schema
    assert [str(marker) for marker in schema] == [
        "follow_mode",
        "pacing",
        "hourly_limits",
        "daily_limit",
        "backoff",
        "session",
    ]
    assert [str(marker) for marker in schema["daily_limit"].schema.schema] == [
        CONF_MAX_LIKES_DAY,
        CONF_WARMUP_DAYS,
    ]
    assert sorted(str(marker) for marker in fields(result["data_schema"])) == sorted(
        [*OPTIONS, "like_mode", "excluded_accounts"]
    )
    assert suggested(result, CONF_CYCLE_INTERVAL) == 120
    assert suggested(result, CONF_JITTER) == OPTIONS[CONF_JITTER].default
    selector = fields(result["data_schema"])[CONF_DELAY_REQUESTS]
    assert selector.config["mode"] == "box"
    assert selector.config["unit_of_measurement"] == "s"
    assert "min" not in selector.config  # the flow checks ranges, with its own error


async def test_options_saved_and_reloaded(
    hass: HomeAssistant, world: World, mock_setup: AsyncMock
) -> None:
    """Valid options are stored (whole numbers as int) and the entry reloads."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    result = await hass.config_entries.options.async_init(entry.entry_id)

    values = option_values(
        **{CONF_CYCLE_INTERVAL: 15.0, CONF_DELAY_REQUESTS: 0.5, CONF_BACKOFF_BASE: 3600}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form_answer(values)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == values
    for key, spec in OPTIONS.items():
        assert isinstance(entry.options[key], int if spec.integer else float), key
    assert mock_setup.call_count == 2  # set up, then reloaded with the options


def _out_of_range_cases() -> list[Any]:
    cases = []
    for key, spec in OPTIONS.items():
        step = 1 if spec.integer else 0.1
        cases.append(pytest.param(key, spec.minimum - step, id=f"{key}-low"))
        cases.append(pytest.param(key, spec.maximum + step, id=f"{key}-high"))
    cases.append(pytest.param(CONF_DELAY_REQUESTS, math.nan, id="nan"))
    cases.append(pytest.param(CONF_CYCLE_INTERVAL, math.inf, id="inf"))
    return cases


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(("key", "value"), _out_of_range_cases())
async def test_options_out_of_range(
    hass: HomeAssistant, world: World, key: str, value: float
) -> None:
    """
    The flow itself refuses values outside the range, on the field's section.

    The message there names the field, in both languages: the form shows a
    section's error above the section, not at the field inside it.
    """
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form_answer(option_values(**{key: value}))
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {OPTION_SECTIONS[key]: f"invalid_{key}"}
    for language in ("en", "de"):
        message = translations(language)["options"]["error"][f"invalid_{key}"]
        assert option_texts(language)[key] in message
    assert entry.options == {}


@pytest.mark.usefixtures("mock_setup")
@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_CYCLE_INTERVAL: 60.5}, {"pacing": "invalid_cycle_interval"}),
        (
            {CONF_BACKOFF_BASE: 3000, CONF_BACKOFF_MAX: 2999},
            {"backoff": "backoff_order"},
        ),
        (
            {CONF_JITTER: 91, CONF_BACKOFF_MAX: 5.5},
            {
                "pacing": "invalid_delay_jitter_percent",
                "backoff": "invalid_backoff_max_seconds",
            },
        ),
        # Two wrong fields in one section: the one higher up in the form first.
        (
            {CONF_JITTER: 91, CONF_CYCLE_INTERVAL: 5},
            {"pacing": "invalid_cycle_interval"},
        ),
    ],
)
async def test_options_invalid(
    hass: HomeAssistant,
    world: World,
    changes: dict[str, float],
    errors: dict[str, str],
) -> None:
    """Fractions where whole numbers belong and a backoff start above its maximum."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form_answer(option_values(**changes))
    )

    assert result["errors"] == errors
    assert suggested(result, next(iter(changes))) == next(iter(changes.values()))

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form_answer(option_values())
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup")
async def test_options_follow_mode(hass: HomeAssistant, world: World) -> None:
    """The follow mode is stored; exclusions as lower-case usernames, links reduced."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result, "like_mode") == "targets"
    selector = fields(result["data_schema"])["like_mode"]
    assert selector.config["options"] == ["targets", "following", "both"]
    assert selector.config["translation_key"] == "like_mode"
    for language in ("en", "de"):
        labels = translations(language)["selector"]["like_mode"]["options"]
        assert set(labels) == {"targets", "following", "both"}

    answer = {
        **form_answer(option_values()),
        "follow_mode": {
            "like_mode": "both",
            "excluded_accounts": "@Ex_Partner, https://www.instagram.com/spam.bot/\n"
            "ex_partner",
        },
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], answer
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["like_mode"] == "both"
    assert entry.options["excluded_accounts"] == ["ex_partner", "spam.bot"]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result, "like_mode") == "both"
    assert suggested(result, "excluded_accounts") == "ex_partner\nspam.bot"


@pytest.mark.usefixtures("mock_setup")
async def test_options_bad_exclusion_named(hass: HomeAssistant, world: World) -> None:
    """A bad exclusion is named in the error; what was typed stays on the form."""
    entry = account_entry(world)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    typed = "friend_one\nhttps://www.instagram.com/p/Cxyz/ bad..name"
    answer = {
        **form_answer(option_values(**{CONF_CYCLE_INTERVAL: 30})),
        "follow_mode": {"like_mode": "following", "excluded_accounts": typed},
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], answer
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"follow_mode": "invalid_excluded"}
    assert result["description_placeholders"] == {
        "invalid": "https://www.instagram.com/p/Cxyz/, bad..name"
    }
    assert suggested(result, "excluded_accounts") == typed
    assert suggested(result, "like_mode") == "following"
    assert suggested(result, CONF_CYCLE_INTERVAL) == 30
    for language in ("en", "de"):
        assert (
            "{invalid}"
            in translations(language)["options"]["error"]["invalid_excluded"]
        )
    assert entry.options == {}


async def test_options_reload_running_entry(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry
) -> None:
    """Saved options reach the running account by a reload."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    with patch("custom_components.ig_autoliker.async_call_later"):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], form_answer(option_values(**{CONF_CYCLE_INTERVAL: 30}))
        )
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.update_interval.total_seconds() == 30 * 60


# --------------------------------------------------------- target subentries --


def target(
    world: World,
    username: str,
    *,
    unique_id: str | None = None,
    stories: bool = True,
    posts: bool = True,
) -> ConfigSubentryData:
    """A target subentry as the subentry flow creates it."""
    return ConfigSubentryData(
        data={
            CONF_USERNAME: username,
            CONF_TARGET_PK: unique_id or pk_of(world, username),
            CONF_LIKE_STORIES: stories,
            CONF_LIKE_POSTS: posts,
        },
        subentry_type=SUBENTRY_TYPE_TARGET,
        title=username,
        unique_id=unique_id or pk_of(world, username),
    )


def _subentry(data: ConfigSubentryData) -> ConfigSubentry:
    """A subentry to add to a loaded entry."""
    return ConfigSubentry(
        data=data["data"],
        subentry_type=data["subentry_type"],
        title=data["title"],
        unique_id=data["unique_id"],
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, world: World
) -> AsyncIterator[MockConfigEntry]:
    """Alice's entry, really set up (logged in); no liking cycle runs."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=ALICE.username,
        unique_id=pk_of(world, ALICE.username),
        data={CONF_USERNAME: ALICE.username, CONF_PASSWORD: ALICE.password},
    )
    entry.add_to_hass(hass)
    with patch("custom_components.ig_autoliker.async_call_later"):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    world.clear_log()
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def start_target_flow(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """Open the add-target form: "Add one account" in the first step's menu."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_TARGET), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["one", "pick", "paste"]
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "one"}
    )


async def add_target(
    hass: HomeAssistant, entry: MockConfigEntry, username: str, **kinds: bool
) -> Any:
    """Submit the add-target form once."""
    result = await start_target_flow(hass, entry)
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_USERNAME: username, **kinds}
    )


async def test_target_form(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The form names the account that will like; both kinds are on by default."""
    result = await start_target_flow(hass, loaded_entry)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "one"
    assert result["description_placeholders"] == {"account": ALICE.username}
    assert suggested(result, CONF_LIKE_STORIES) is True
    assert suggested(result, CONF_LIKE_POSTS) is True


@pytest.mark.parametrize(
    ("typed", "username", "kinds"),
    [
        (" @Public_Star ", PUBLIC, {}),
        (PRIVATE_FOLLOWED, PRIVATE_FOLLOWED, {CONF_LIKE_STORIES: False}),
        (PUBLIC, PUBLIC, {CONF_LIKE_POSTS: False}),
        # Profile links as the app shares them and the browser shows them.
        (f"https://www.instagram.com/{PUBLIC}/", PUBLIC, {}),
        (f"instagram.com/{PUBLIC}", PUBLIC, {}),
        (f"https://www.instagram.com/{PUBLIC}?igsh=MWx1dDJ6cmVlYW5lMA==", PUBLIC, {}),
        (f" HTTPS://instagram.com/{PUBLIC}/?utm_source=qr ", PUBLIC, {}),
        (f"https://www.instagram.com/stories/{PUBLIC}/3401234567890/", PUBLIC, {}),
        (f"https://www.instagram.com/{PUBLIC}/reels/", PUBLIC, {}),
    ],
)
async def test_target_added(
    hass: HomeAssistant,
    world: World,
    loaded_entry: MockConfigEntry,
    *,
    typed: str,
    username: str,
    kinds: dict[str, bool],
) -> None:
    """The username is resolved once through the logged-in account."""
    result = await add_target(hass, loaded_entry, typed, **kinds)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == username
    assert result["unique_id"] == pk_of(world, username)
    assert result["data"] == {
        CONF_USERNAME: username,
        CONF_TARGET_PK: pk_of(world, username),
        CONF_LIKE_STORIES: kinds.get(CONF_LIKE_STORIES, True),
        CONF_LIKE_POSTS: kinds.get(CONF_LIKE_POSTS, True),
        # No backlog burst: its earlier posts are remembered, not liked.
        CONF_BACKLOG_POSTS: 0,
        CONF_LIKE_CURRENT_STORIES: True,
    }
    (subentry,) = loaded_entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_TYPE_TARGET
    assert subentry.unique_id == pk_of(world, username)
    assert dict(subentry.data) == result["data"]
    assert world.count(USERNAMEINFO) == 1
    assert world.requests(USERNAMEINFO)[0].viewer_pk == int(
        pk_of(world, ALICE.username)
    )


async def test_target_no_kind(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry
) -> None:
    """Liking neither stories nor posts is refused before any request."""
    result = await add_target(
        hass, loaded_entry, PUBLIC, like_stories=False, like_posts=False
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_kind"}
    assert suggested(result, CONF_USERNAME) == PUBLIC
    assert world.requests() == []


@pytest.mark.parametrize(
    "username",
    [
        "",
        "   ",
        "no way",
        "../admin",
        ".dot",
        "dot.",
        "a..b",
        "x" * 31,
        f"{PUBLIC}?igsh=abc",
        "https://www.instagram.com/",
        "https://www.instagram.com/p/C1a2b3c4d5e/",
        "instagram.com/reel/C1a2b3c4d5e/?igsh=abc",
        f"https://example.com/{PUBLIC}/",
        f"https://instagram.com.example.com/{PUBLIC}/",
    ],
)
async def test_target_invalid_username(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry, username: str
) -> None:
    """
    What cannot be a username never reaches Instagram's lookup URL.

    The field keeps what was typed, and the error is translated in both languages.
    """
    result = await add_target(hass, loaded_entry, username)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USERNAME: "invalid_username"}
    assert suggested(result, CONF_USERNAME) == username
    assert world.requests() == []
    for language in ("en", "de"):
        error = translations(language)["config_subentries"]["target"]["error"]
        assert error["invalid_username"]


@pytest.mark.parametrize(
    ("username", "error"),
    [(MISSING, "not_found"), (PRIVATE_STRANGER, "private")],
)
async def test_target_cannot_be_liked(
    hass: HomeAssistant,
    world: World,
    loaded_entry: MockConfigEntry,
    username: str,
    error: str,
) -> None:
    """Unknown and unfollowed private accounts are refused on the username field."""
    result = await add_target(hass, loaded_entry, username)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USERNAME: error}
    assert world.count(USERNAMEINFO) == 1
    assert loaded_entry.subentries == {}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.HTTP_429, "rate_limited"),
        (Fault.FEEDBACK_REQUIRED, "rate_limited"),
        (Fault.HTTP_502, "cannot_connect"),
        (Fault.MALFORMED_JSON, "cannot_connect"),
        (Fault.RAW, "unknown"),
    ],
)
async def test_target_instagram_errors(
    hass: HomeAssistant,
    world: World,
    loaded_entry: MockConfigEntry,
    fault: Fault,
    error: str,
) -> None:
    """Lookup failures are shown on the form; the next try adds the target."""
    extra = ODD_ERROR if fault is Fault.RAW else {}
    world.faults.add(USERNAMEINFO, fault, **extra)
    result = await start_target_flow(hass, loaded_entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_USERNAME: PUBLIC}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_USERNAME: PUBLIC}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("fault", [Fault.LOGIN_REQUIRED, Fault.CHALLENGE_REQUIRED])
async def test_target_needs_reauth(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry, fault: Fault
) -> None:
    """When Instagram wants a new sign-in first, the flow says so and ends."""
    world.faults.add(USERNAMEINFO, fault)

    result = await add_target(hass, loaded_entry, PUBLIC)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_required"
    assert loaded_entry.subentries == {}


async def test_target_known_username(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry
) -> None:
    """A username already added aborts without a lookup."""
    hass.config_entries.async_add_subentry(
        loaded_entry, _subentry(target(world, PUBLIC))
    )

    result = await add_target(hass, loaded_entry, "@PUBLIC_STAR")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert world.count(USERNAMEINFO) == 0


async def test_target_known_account_renamed(
    hass: HomeAssistant, world: World, loaded_entry: MockConfigEntry
) -> None:
    """An added account under its new username is recognised by its pk."""
    hass.config_entries.async_add_subentry(
        loaded_entry,
        _subentry(target(world, "old_name", unique_id=pk_of(world, PUBLIC))),
    )

    result = await add_target(hass, loaded_entry, PUBLIC)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert world.count(USERNAMEINFO) == 1
    assert len(loaded_entry.subentries) == 1


async def test_target_entry_not_loaded(hass: HomeAssistant, world: World) -> None:
    """Without a running account nothing can be looked up."""
    entry = account_entry(world)
    entry.add_to_hass(hass)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_TARGET), context={"source": SOURCE_USER}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_target_reconfigure(hass: HomeAssistant, world: World) -> None:
    """What is liked changes; the account (username, pk) stays."""
    entry = account_entry(world, subentries=[target(world, PUBLIC)])
    entry.add_to_hass(hass)
    (subentry_id,) = entry.subentries

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {CONF_USERNAME: PUBLIC}
    assert suggested(result, CONF_USERNAME) == PUBLIC
    assert result["data_schema"].schema[CONF_USERNAME].config["read_only"] is True
    assert suggested(result, CONF_LIKE_STORIES) is True

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: "someone_else",
            CONF_LIKE_STORIES: False,
            CONF_LIKE_POSTS: False,
        },
    )
    assert result["errors"] == {"base": "no_kind"}
    assert suggested(result, CONF_USERNAME) == PUBLIC
    assert suggested(result, CONF_LIKE_STORIES) is False

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: "someone_else",
            CONF_LIKE_STORIES: True,
            CONF_LIKE_POSTS: False,
        },
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.subentries[subentry_id].data) == {
        CONF_USERNAME: PUBLIC,
        CONF_TARGET_PK: pk_of(world, PUBLIC),
        CONF_LIKE_STORIES: True,
        CONF_LIKE_POSTS: False,
    }
    assert entry.subentries[subentry_id].unique_id == pk_of(world, PUBLIC)
    assert world.requests() == []


# -------------------------------------------------------------- translations --


#: Words German uses as they are (Duden: "Story", "Album", "Reel").
SAME_IN_GERMAN = {"Story", "Album", "Reel"}


@pytest.mark.parametrize("language", ["de"])
def test_translations_complete(language: str) -> None:
    """Every English string exists in the translation, with the same placeholders."""
    english = leaves(translations("en"))
    other = leaves(translations(language))
    assert set(other) == set(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key
        assert other[key] != text or key.endswith(".sms") or text in SAME_IN_GERMAN, (
            f"untranslated: {key}"
        )


#: Variants the German texts must not use: the README's German terms give one word
#: per concept (Duden's "gelikt", "Limit", "Zielkonto", "Drosselung", "Sperrdauer").
REJECTED_GERMAN = {
    r"\bgeliked\b": "gelikt",
    r"Grenze": "Limit",
    r"\bZiele?\b": "Zielkonto",
    r"Rate-Limit": "Limit or Drosselung",
    r"Sperrpause": "Sperrdauer",
    r"Bestätigungscode": "Zwei-Faktor-Code",
}


def test_german_uses_one_term_per_concept() -> None:
    """No German text uses a rejected variant of a term the README lists."""
    for key, text in leaves(translations("de")).items():
        for variant, term in REJECTED_GERMAN.items():
            assert not re.search(variant, text), f"{key}: use {term!r}: {text}"


@pytest.mark.parametrize(
    ("language", "default_word"), [("en", "default"), ("de", "Standard")]
)
def test_option_descriptions_state_ranges(language: str, default_word: str) -> None:
    """Each option's description states the range and default the flow enforces."""
    descriptions = option_texts(language, "data_description")
    decimal = "," if language == "de" else "."
    for key, spec in OPTIONS.items():

        def number(value: float) -> str:
            return f"{value:g}".replace(".", decimal)

        text = descriptions[key]
        assert f"{number(spec.minimum)}\u2013{number(spec.maximum)}" in text, key
        assert f"{default_word} {number(spec.default)}" in text, key


@pytest.mark.parametrize(
    ("language", "whole", "decimal"),
    [("en", "whole number", "."), ("de", "ganze Zahl", ",")],
)
def test_option_errors_name_the_field_and_its_range(
    language: str, whole: str, decimal: str
) -> None:
    """Each option's error says which field, what kind of number and its range."""
    errors = translations(language)["options"]["error"]
    labels = option_texts(language)

    def number(value: float) -> str:
        return f"{value:g}".replace(".", decimal)

    for key, spec in OPTIONS.items():
        text = errors[f"invalid_{key}"]
        assert labels[key] in text, key
        assert number(spec.minimum) in text, key
        assert number(spec.maximum) in text, key
        assert (whole in text) is spec.integer, key


@pytest.mark.parametrize(
    ("raw", "code"),
    [("123456", "123456"), (" 12 34 56\n", "123456"), ("", None), ("12a", None)],
)
def test_normalize_code(raw: str, code: str | None) -> None:
    """Codes lose whitespace; anything but ASCII digits is no code."""
    assert normalize_code(raw) == code
