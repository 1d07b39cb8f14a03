"""The ASGI application: Instagram's private API as instagrapi 3.x drives it.

Every request is parsed, checked against the scripted faults, routed by its endpoint
(see `faults.py` for the naming), answered with Instagram-shaped JSON and recorded in
the world's request log (without bodies, cookies or credentials). `/__sandbox/...` is
the admin API, reachable only with Host 127.0.0.1 or localhost.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, unquote

from . import captures, cdn, payloads
from .crypto import PASSWORD_KEY_ID, decrypt_password, password_public_key_header
from .faults import SILENT_FAULTS, Fault, FaultRule
from .world import (
    Challenge,
    ChallengeMethodName,
    CheckpointForm,
    Media,
    RequestRecord,
    Session,
    SilentLike,
    TimelineInsert,
    User,
    World,
    mask_email,
    mask_phone,
    redact_query,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AbortConnection = Callable[[tuple[str, int] | None], bool]

ADMIN_PREFIX = "/__sandbox/"
_ADMIN_HOSTS = frozenset({"127.0.0.1", "localhost"})
_MAX_BODY = 1 << 20


class ConnectionResetRequested(Exception):
    """Raised inside the app to make hypercorn abort the stream (reset fault)."""


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int] | None
    endpoint: str = ""
    form: dict[str, str] = field(default_factory=dict)
    signed: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    #: Every value of each query key (`?reel_ids=1&reel_ids=2`).
    query_all: dict[str, list[str]] = field(default_factory=dict)
    #: Ids a batched request named (set by its handler, kept in the request log).
    batch: int | None = None

    def parse_body(self) -> None:
        """Fill form / signed (signed_body JSON) / params (Bloks JSON) / json_body."""
        if not self.body:
            return
        text = self.body.decode("utf-8", "replace")
        if text.lstrip().startswith("{"):
            try:
                self.json_body = json.loads(text)
            except ValueError:
                self.json_body = None
            return
        self.form = {
            key: values[0]
            for key, values in parse_qs(text, keep_blank_values=True).items()
        }
        signed = self.form.get("signed_body", "")
        if signed.startswith("SIGNATURE."):
            try:
                decoded = json.loads(signed[len("SIGNATURE.") :])
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                self.signed = decoded
        raw_params = self.form.get("params")
        if raw_params:
            try:
                decoded = json.loads(raw_params)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                self.params = decoded

    def value(self, key: str) -> Any:
        """A field from the signed body or the plain form."""
        if key in self.signed:
            return self.signed[key]
        return self.form.get(key)

    def any_value(self, key: str) -> Any:
        """A field from the signed body, a JSON body, the form or the query."""
        if key in self.signed:
            return self.signed[key]
        if isinstance(self.json_body, dict) and key in self.json_body:
            return self.json_body[key]
        return self.form.get(key, self.query.get(key))


@dataclass
class Response:
    """An answer; `cookies` become Set-Cookie headers."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)

    @classmethod
    def json(
        cls,
        data: Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
        cookies: list[str] | None = None,
    ) -> Response:
        """A JSON answer."""
        return cls(
            status,
            json.dumps(data).encode(),
            headers=dict(headers or {}),
            cookies=list(cookies or []),
        )

    @classmethod
    def fail(cls, status: int, message: str, **extra: Any) -> Response:
        """Instagram's `{"message": ..., "status": "fail"}` error shape."""
        return cls.json({"message": message, **extra, "status": "fail"}, status)


@dataclass
class Context:
    """Per-request context handed to handlers."""

    world: World
    viewer: User | None
    session: Session | None
    #: A SILENT_DROP / SILENT_UNDO rule that fired on this request (likes obey it).
    silent: FaultRule | None = None


Handler = Callable[[Request, Context, re.Match[str]], Response]


@dataclass(frozen=True)
class Route:
    """Method + endpoint regex -> handler."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


def endpoint_of(path: str) -> str:
    """instagrapi's endpoint name of a URL path (see faults.py)."""
    if path.startswith("/api/v1/"):
        return path[len("/api/v1/") :]
    if path.startswith("/api/v2/"):
        return "v2/" + path[len("/api/v2/") :]
    return path.lstrip("/")


# ------------------------------------------------------------------ answers
def captured(answer: captures.Answer) -> Response:
    """A captured `(status, body)` as an answer."""
    status, body = answer
    return Response.json(body, status)


def login_required() -> Response:
    """403 login_required, as Instagram answers a dead session."""
    return captured(captures.login_required())


def user_not_found() -> Response:
    """404 User not found."""
    return Response.fail(404, "User not found", error_type="user_not_found")


def not_authorized() -> Response:
    """400 Not authorized to view user (private, not followed)."""
    return Response.fail(400, "Not authorized to view user")


def challenge_required(challenge: Challenge) -> Response:
    """The checkpoint's answer, worded as it was opened (captures.py)."""
    if challenge.form == "checkpoint":
        return captured(captures.checkpoint_required(challenge.api_path))
    return captured(
        captures.challenge_required(challenge.api_path, native=challenge.native)
    )


def _device(request: Request) -> str | None:
    """The Android id instagrapi sends with every private request."""
    return request.headers.get("x-ig-android-id") or None


def checkpoint_of(request: Request, ctx: Context, user: User) -> Response | None:
    """The suspension or pending checkpoint a request of `user` meets, if any."""
    if user.suspended:
        return captured(captures.suspended())
    challenge = ctx.world.blocking_challenge(user.pk, _device(request))
    return None if challenge is None else challenge_required(challenge)


def _password_headers() -> dict[str, str]:
    return {
        "ig-set-password-encryption-key-id": str(PASSWORD_KEY_ID),
        "ig-set-password-encryption-pub-key": password_public_key_header(),
    }


def _mid_header(request: Request) -> dict[str, str]:
    if request.headers.get("x-mid"):
        return {}
    return {"ig-set-x-mid": "aR" + secrets.token_urlsafe(20)}


def _login_success(
    ctx: Context, user: User, via: str, body: dict[str, Any] | None = None
) -> Response:
    session = ctx.world.open_session(user, via)
    data = {
        "logged_in_user": payloads.logged_in_user(user),
        "session_flush_nonce": None,
        "status": "ok",
    }
    data.update(body or {})
    return Response.json(
        data,
        headers=payloads.session_headers(session),
        cookies=payloads.session_cookies(session),
    )


def _password_ok(user: User, enc_password: Any) -> bool:
    if not isinstance(enc_password, str) or user.password is None:
        return False
    return decrypt_password(enc_password) == user.password


# --------------------------------------------------------- pre-login device
def h_qe_sync(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """qe/sync/: experiments, plus the password-encryption key headers."""
    return Response.json(
        {"experiments": [], "status": "ok"},
        headers=_password_headers() | _mid_header(request),
    )


def h_launcher_sync(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """launcher/sync/: configs, plus the key headers like the app sees them."""
    return Response.json(
        {"configs": {}, "status": "ok"},
        headers=_password_headers() | _mid_header(request),
    )


def h_graphql_www(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """b.i.instagram.com/graphql_www: only the USDID registration mutation is known."""
    if request.form.get("fb_api_req_friendly_name") != "IGUSDIDRegistrationMutation":
        return Response.json(
            {"errors": [{"message": "Unknown document", "severity": "CRITICAL"}]}, 400
        )
    return Response.json(
        {
            "data": {"usdid_registration": {"success": True}},
            "extensions": {"is_final": True},
        }
    )


def h_caa_process_client_data(
    request: Request, ctx: Context, match: re.Match[str]
) -> Response:
    """CAA login home: issue the account access context (aac)."""
    aac = json.dumps(
        {
            "aac_init_timestamp": int(ctx.world.clock.now()),
            "aacjid": secrets.token_hex(16),
        }
    )
    ctx.world.caa_aacs.add(aac)
    return Response.json(payloads.bloks_aac(aac), headers=_mid_header(request))


def h_keystore(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """attestation/create_android_keystore/: nonces for X-IG-Attest-Params."""
    nonce = secrets.token_urlsafe(24)
    ctx.world.attestation_nonces.add(nonce)
    return Response.json(
        {
            "challenge_nonce": nonce,
            "key_nonce": secrets.token_urlsafe(24),
            "status": "ok",
        }
    )


def h_caa_oauth(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """OAuth token preflight: needs a known aac."""
    aac = (request.params.get("client_input_params") or {}).get("aac")
    if aac not in ctx.world.caa_aacs:
        return Response.fail(
            400, "Payload returned is null", error_type="field_exception"
        )
    return Response.json(payloads.bloks_layout())


def h_caa_login(request: Request, ctx: Context, match: re.Match[str]) -> Response:  # noqa: PLR0911
    """CAA send_login_request: session, two-step context, checkpoint or fallback."""
    cip = request.params.get("client_input_params") or {}
    if cip.get("aac") not in ctx.world.caa_aacs:
        return Response.fail(
            400, "Payload returned is null", error_type="field_exception"
        )
    user = ctx.world.find_login(str(cip.get("contact_point") or ""))
    if user is None or user.password is None:
        return Response.json(payloads.bloks_fallback("invalid_user"))
    if user.login_flow == "legacy":
        return Response.json(payloads.bloks_fallback("accounts_login"))
    if not _password_ok(user, cip.get("password")):
        return Response.json(payloads.bloks_fallback("bad_password"))
    if (checkpoint := checkpoint_of(request, ctx, user)) is not None:
        return checkpoint
    if user.two_factor_code is not None:
        context = "ARH" + secrets.token_urlsafe(48)
        ctx.world.two_step_contexts[context] = user.pk
        return Response.json(payloads.bloks_two_step(context, user))
    session = ctx.world.open_session(user, "caa")
    return Response.json(payloads.bloks_login_success(ctx.world, user, session))


def _two_step_user(request: Request, ctx: Context) -> User | None:
    server = request.params.get("server_params") or {}
    pk = ctx.world.two_step_contexts.get(
        str(server.get("two_step_verification_context") or "")
    )
    return None if pk is None else ctx.world.user_by_pk(pk)


def h_two_step_screen(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """Two-step entrypoint / method picker / method selection screens."""
    if _two_step_user(request, ctx) is None:
        return Response.fail(
            400, "This page isn't available right now.", error_type="invalid_context"
        )
    return Response.json(payloads.bloks_layout())


def h_two_step_verify(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """verify_code.async: the login payload for the right code, else an error screen."""
    user = _two_step_user(request, ctx)
    if user is None:
        return Response.fail(
            400, "This page isn't available right now.", error_type="invalid_context"
        )
    code = str((request.params.get("client_input_params") or {}).get("code") or "")
    if user.two_factor_code is None or code != user.two_factor_code:
        return Response.json(
            payloads.bloks_two_step_error("This code isn't right. Please try again.")
        )
    server = request.params.get("server_params") or {}
    ctx.world.two_step_contexts.pop(
        str(server.get("two_step_verification_context")), None
    )
    session = ctx.world.open_session(user, "caa_two_factor")
    return Response.json(payloads.bloks_login_success(ctx.world, user, session))


# ------------------------------------------------------------ legacy login
def h_legacy_login(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """accounts/login/: bad_password, invalid_user, two-factor, challenge or session."""
    username = str(request.value("username") or "")
    user = ctx.world.find_login(username)
    if user is None or user.password is None:
        return captured(captures.invalid_user(typed=ctx.world.invalid_user_typed))
    if not _password_ok(user, request.value("enc_password")):
        return captured(captures.bad_password(user.username))
    if (checkpoint := checkpoint_of(request, ctx, user)) is not None:
        return checkpoint
    if user.two_factor_code is not None:
        identifier = secrets.token_urlsafe(24)
        ctx.world.two_factor_identifiers[identifier] = user.pk
        method = user.two_factor_method
        phone = user.phone_number or "+10000000000"
        return captured(
            captures.two_factor_required(
                {
                    "pk": user.pk,
                    "username": user.username,
                    "obfuscated_phone_number": phone[-4:],
                    "obfuscated_phone_number_2": mask_phone(phone),
                    "two_factor_identifier": identifier,
                    "device_id": "aR" + secrets.token_urlsafe(20),
                },
                typed=user.two_factor_typed,
                sms=method in {"sms", "whatsapp"},
                totp=method == "totp",
                whatsapp=method == "whatsapp",
            )
        )
    return _login_success(ctx, user, "legacy")


def h_legacy_two_factor(
    request: Request, ctx: Context, match: re.Match[str]
) -> Response:
    """accounts/two_factor_login/: two_factor_identifier + the right code log in."""
    identifier = str(request.value("two_factor_identifier") or "")
    pk = ctx.world.two_factor_identifiers.get(identifier)
    user = None if pk is None else ctx.world.user_by_pk(pk)
    if user is None:
        return Response.fail(
            400,
            "This code is no longer valid. Please request a new one.",
            error_type="invalid_nonce",
        )
    if str(request.value("verification_code") or "") != user.two_factor_code:
        return Response.fail(
            400,
            "Please check the security code and try again.",
            error_type="sms_code_validation_code_invalid",
        )
    ctx.world.two_factor_identifiers.pop(identifier, None)
    return _login_success(ctx, user, "legacy_two_factor")


# --------------------------------------------------------------- challenge
def _challenge_of(ctx: Context, match: re.Match[str]) -> tuple[User, Challenge] | None:
    pk, nonce = int(match.group(1)), match.group(2)
    challenge = ctx.world.challenge_for(pk)
    user = ctx.world.user_by_pk(pk)
    if challenge is None or user is None or challenge.nonce != nonce:
        return None
    return user, challenge


def _contact(user: User, method: ChallengeMethodName) -> str:
    if method == "email":
        return mask_email(user.email or "unknown@example.com")
    return mask_phone(user.phone_number or "+10000000000")


def _verify_step(user: User, challenge: Challenge) -> dict[str, Any]:
    method = challenge.chosen or "email"
    return {
        "step_name": "verify_email" if method == "email" else "verify_phone",
        "step_data": {
            "security_code": "None",
            "resend_delay": 60,
            "contact_point": _contact(user, method),
            "form_type": "email" if method == "email" else "phone_number",
        },
        "flow_render_type": 3,
        "bloks_action": "com.instagram.challenge.navigation.take_challenge",
        "nonce_code": challenge.nonce,
        "user_id": user.pk,
        "challenge_context": json.dumps(
            {
                "step_name": "verify_" + method,
                "nonce_code": challenge.nonce,
                "user_id": user.pk,
                "is_stateless": False,
            }
        ),
        "status": "ok",
    }


def _challenge_gone() -> Response:
    """Instagram's answer for a checkpoint that is gone or was never opened."""
    return Response.fail(
        400, "This page is no longer available.", error_type="challenge_not_found"
    )


def h_challenge_get(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """GET the checkpoint: select_verify_method, or the verify step once sent."""
    found = _challenge_of(ctx, match)
    if found is None:
        return _challenge_gone()
    user, challenge = found
    if challenge.chosen is not None:
        return Response.json(_verify_step(user, challenge))
    step_data: dict[str, Any] = {
        "choice": "1" if "email" in challenge.methods else "0",
        "fb_access_token": "None",
        "big_blue_token": "None",
        "google_oauth_token": "true",
        "vetted_device": "None",
    }
    if "sms" in challenge.methods:
        step_data["phone_number"] = _contact(user, "sms")
    if "email" in challenge.methods:
        step_data["email"] = _contact(user, "email")
    return Response.json(
        {
            "step_name": "select_verify_method",
            "step_data": step_data,
            "flow_render_type": 3,
            "bloks_action": "com.instagram.challenge.navigation.take_challenge",
            "nonce_code": challenge.nonce,
            "user_id": user.pk,
            "challenge_context": json.dumps(
                {
                    "step_name": "select_verify_method",
                    "nonce_code": challenge.nonce,
                    "user_id": user.pk,
                }
            ),
            "status": "ok",
        }
    )


def h_challenge_post(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """POST choice (0 sms, 1 email) -> verify step; POST security_code -> logged in."""
    found = _challenge_of(ctx, match)
    if found is None:
        return _challenge_gone()
    user, challenge = found
    choice = request.value("choice")
    code = request.value("security_code")
    if code is not None:
        if challenge.chosen is None or str(code).strip() != challenge.code:
            return Response.fail(
                400,
                "Please check the code we sent you and try again.",
                error_type="invalid_security_code",
                step_name="verify_" + (challenge.chosen or "email"),
            )
        ctx.world.clear_challenge(user.pk)
        return _login_success(ctx, user, "challenge", {"action": "close"})
    method: ChallengeMethodName | None = {"0": "sms", "1": "email"}.get(str(choice))  # type: ignore[assignment]
    if method is None or method not in challenge.methods:
        return Response.fail(
            400, f"Select a valid choice. {choice} is not one of the available choices."
        )
    challenge.chosen = method
    ctx.world.record_code_sent(user, method)
    return Response.json(_verify_step(user, challenge))


# --------------------------------------------------------------- logged in
def _viewer(ctx: Context) -> User:
    assert ctx.viewer is not None  # auth routes only
    return ctx.viewer


def h_current_user(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """accounts/current_user/?edit=true."""
    return Response.json({"user": payloads.account(_viewer(ctx)), "status": "ok"})


def h_logout(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """accounts/logout/: revokes the session."""
    assert ctx.session is not None
    ctx.world.revoke_session(ctx.session.sessionid)
    return Response.json({"status": "ok"})


def h_reels_tray(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """feed/reels_tray/: followed accounts with live stories."""
    viewer = _viewer(ctx)
    tray = []
    for pk in sorted(viewer.following):
        owner = ctx.world.user_by_pk(pk)
        stories = ctx.world.stories_of(pk)
        if owner is None or not stories:
            continue
        entry = payloads.reel(ctx.world, owner, stories, viewer.pk)
        assert entry is not None
        entry.pop("items")
        tray.append(entry)
    tray.sort(key=lambda entry: entry["latest_reel_media"], reverse=True)
    return Response.json(
        {
            "tray": tray,
            "broadcasts": [],
            "sticker_version": 0,
            "face_filter_nux_version": 0,
            "has_new_nux_story": False,
            "story_ranking_token": secrets.token_hex(8),
            "status": "ok",
        }
    )


_TIMELINE_CURSOR = "feed_"


def _timeline_items(ctx: Context, viewer: User) -> list[dict[str, Any]]:
    """The viewer's whole home feed, in order, as feed items.

    Followed accounts' posts newest first, the ads and suggestions the world
    placed at their positions, the end-of-feed demarcator after the last
    followed post, and the suggestions placed after it.
    """
    world = ctx.world
    organic: list[dict[str, Any]] = []
    for media in world.organic_timeline(viewer.pk):
        owner = world.user_by_pk(media.owner_pk)
        if owner is not None:
            organic.append(
                {"media_or_ad": payloads.timeline_media(media, owner, viewer.pk)}
            )
    after: list[dict[str, Any]] = []
    placed: list[tuple[int, int, dict[str, Any]]] = []
    for insert in world.timeline_inserts(viewer.pk):
        item = _insert_item(ctx, viewer, insert)
        if item is None:
            continue
        if insert.position is None:
            after.append(item)
        else:
            placed.append((insert.position, insert.seq, item))
    items = list(organic)
    for position, _seq, item in sorted(placed, key=lambda entry: entry[:2]):
        items.insert(min(position, len(items)), item)
    items.append({"end_of_feed_demarcator": payloads.end_of_feed_demarcator()})
    return items + after


def _insert_item(
    ctx: Context, viewer: User, insert: TimelineInsert
) -> dict[str, Any] | None:
    world = ctx.world
    if insert.unit == "suggested_users":
        users = [u for pk in insert.user_pks if (u := world.user_by_pk(pk))]
        return {"suggested_users": payloads.suggested_users(users, f"su_{insert.seq}")}
    media = world.media(insert.media_pk) if insert.media_pk is not None else None
    if media is None or media.deleted:
        return None
    owner = world.user_by_pk(media.owner_pk)
    if owner is None:
        return None
    if insert.unit == "ad":
        return {"media_or_ad": payloads.timeline_ad(media, owner, viewer.pk)}
    return {"explore_story": payloads.explore_story(media, owner, viewer.pk)}


def h_timeline(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """feed/timeline/: the home feed, `world.timeline_page_size` items a page.

    instagrapi posts the fields as a JSON body (`max_id` when paging); other
    clients post a form. `next_max_id` is opaque to clients.
    """
    viewer = _viewer(ctx)
    items = _timeline_items(ctx, viewer)
    cursor = str(request.any_value("max_id") or "")
    position = cursor.removeprefix(_TIMELINE_CURSOR)
    offset = int(position) if position != cursor and position.isdigit() else 0
    size = max(1, ctx.world.timeline_page_size)
    page = items[offset : offset + size]
    more = offset + size < len(items)
    next_max_id = f"{_TIMELINE_CURSOR}{offset + size}" if more else None
    return Response.json(payloads.timeline_page(page, next_max_id))


def _reel_ids(request: Request) -> list[str]:
    """The ids asked for: GET `?reel_ids=` (repeated), POST `user_ids` / `reel_ids`."""
    if request.method == "GET":
        return [
            value
            for key in ("reel_ids", "reel_ids[]")
            for value in request.query_all.get(key, [])
        ]
    raw = request.value("user_ids")
    if raw is None:
        raw = request.value("reel_ids")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = raw.split(",")
    if isinstance(raw, (int, str)):
        raw = [raw]
    return [str(value) for value in raw] if isinstance(raw, list) else []


def h_reels_media(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """feed/reels_media/: the live stories of several accounts in one request."""
    ids = _reel_ids(request)
    request.batch = len(ids)
    limit = ctx.world.reels_media_limit
    if limit is not None and len(ids) > limit:
        return captured(captures.too_many_reels())
    viewer = _viewer(ctx)
    reels = []
    seen: set[int] = set()
    for reel_id in ids:
        if not reel_id.isdigit() or int(reel_id) in seen:
            continue  # highlights ("highlight:<pk>") are not modelled
        seen.add(int(reel_id))
        owner = ctx.world.user_by_pk(int(reel_id))
        if owner is None or not ctx.world.can_view(viewer.pk, owner):
            continue
        entry = payloads.reel(
            ctx.world, owner, ctx.world.stories_of(owner.pk), viewer.pk
        )
        if entry is not None:
            reels.append(entry)
    return Response.json(payloads.reels_media(reels))


def h_following(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """friendships/{pk}/following/: `count` a page, `max_id` paging, `query` filter."""
    owner = ctx.world.user_by_pk(int(match.group(1)))
    if owner is None:
        return user_not_found()
    viewer = _viewer(ctx)
    if not ctx.world.can_view(viewer.pk, owner):
        return not_authorized()
    users = ctx.world.following_of(owner.username)
    query = (request.query.get("query") or "").strip().lower()
    if query:
        users = [
            u for u in users if query in u.username or query in u.full_name.lower()
        ]
    cap = max(1, ctx.world.following_page_size)
    try:
        size = max(1, min(int(request.query.get("count") or cap), cap))
    except ValueError:
        size = cap
    max_id = request.query.get("max_id") or "0"
    offset = int(max_id) if max_id.isdigit() else 0
    page = users[offset : offset + size]
    more = offset + size < len(users)
    return Response.json(
        payloads.following_page(
            [payloads.following_user(ctx.world, u) for u in page],
            str(offset + size) if more else None,
            size,
        )
    )


def h_usernameinfo(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """users/{username}/usernameinfo/."""
    user = ctx.world.user(unquote(match.group(1)))
    if user is None:
        return user_not_found()
    return Response.json({"user": payloads.user_info(ctx.world, user), "status": "ok"})


def h_user_info(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """users/{pk}/info/."""
    user = ctx.world.user_by_pk(int(match.group(1)))
    if user is None:
        return user_not_found()
    return Response.json({"user": payloads.user_info(ctx.world, user), "status": "ok"})


def h_friendship(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """friendships/show/{pk}/."""
    target = ctx.world.user_by_pk(int(match.group(1)))
    if target is None:
        return user_not_found()
    return Response.json(payloads.friendship(_viewer(ctx), target))


def h_user_story(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """feed/user/{pk}/story/: `reel` with items, or `reel: null`."""
    owner = ctx.world.user_by_pk(int(match.group(1)))
    if owner is None:
        return user_not_found()
    viewer = _viewer(ctx)
    if not ctx.world.can_view(viewer.pk, owner):
        return not_authorized()
    stories = ctx.world.stories_of(owner.pk)
    return Response.json(
        {
            "broadcast": None,
            "reel": payloads.reel(ctx.world, owner, stories, viewer.pk),
            "status": "ok",
        }
    )


def h_user_feed(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """feed/user/{pk}/: newest first, `count` per page, `max_id` paging."""
    owner = ctx.world.user_by_pk(int(match.group(1)))
    if owner is None:
        return user_not_found()
    viewer = _viewer(ctx)
    if not ctx.world.can_view(viewer.pk, owner):
        return not_authorized()
    posts = ctx.world.posts_of(owner.pk)
    try:
        count = max(1, min(int(request.query.get("count") or 12), 50))
    except ValueError:
        count = 12
    max_id = request.query.get("max_id") or ""
    if max_id:
        ids = [m.id for m in posts]
        posts = posts[ids.index(max_id) + 1 :] if max_id in ids else []
    page, more = posts[:count], len(posts) > count
    return Response.json(
        {
            "items": [payloads.post_item(m, owner, viewer.pk) for m in page],
            "num_results": len(page),
            "more_available": more,
            "next_max_id": page[-1].id if more and page else None,
            "user": payloads.user_short(owner),
            "auto_load_more_enabled": True,
            "status": "ok",
        }
    )


def _likeable(ctx: Context, media: Media | None) -> Response | None:
    """The error answer for media that cannot be liked, or None."""
    if media is None:
        return Response.fail(400, "Media not found or unavailable")
    if media.deleted:
        return Response.fail(400, "Sorry, this photo has been deleted")
    owner = ctx.world.user_by_pk(media.owner_pk)
    if owner is None or not ctx.world.can_view(_viewer(ctx).pk, owner):
        return Response.fail(400, "Media not found or unavailable")
    if not ctx.world.is_live(media):
        return Response.fail(400, "Media is unavailable")
    return None


def _throttled(ctx: Context) -> Response | None:
    """Instagram's own spam limit: HTTP 429 past `world.like_limit_per_hour` likes."""
    limit = ctx.world.like_limit_per_hour
    if limit is not None and ctx.world.likes_in_last_hour(_viewer(ctx).pk) >= limit:
        return captured(captures.throttled())
    return None


def _silent(ctx: Context) -> SilentLike | None:
    """How a fired SILENT_* rule treats this like (None: the world decides)."""
    rule = ctx.silent
    if rule is None:
        return None
    return SilentLike(
        undo_after=rule.delay if rule.fault is Fault.SILENT_UNDO else None
    )


def h_media_like(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """media/{pk}/like/ and media/{pk}/unlike/ (pk bare or `<pk>_<owner>`)."""
    media = ctx.world.media(int(match.group(1).split("_")[0]))
    error = _likeable(ctx, media)
    if error is not None:
        return error
    assert media is not None
    if match.group(2) == "like":
        if (throttled := _throttled(ctx)) is not None:
            return throttled
        ctx.world.record_like(
            _viewer(ctx).pk, media, request.endpoint, silent=_silent(ctx)
        )
    else:
        ctx.world.record_unlike(_viewer(ctx).pk, media)
    return Response.json({"status": "ok"})


def _story_by_media_id(
    ctx: Context, media_id: Any
) -> tuple[Media | None, Response | None]:
    if not isinstance(media_id, str) or not re.fullmatch(r"\d+_\d+", media_id):
        return None, Response.fail(400, "Invalid media_id")
    pk, owner_pk = (int(part) for part in media_id.split("_"))
    media = ctx.world.media(pk)
    if media is not None and (media.owner_pk != owner_pk or media.kind != "story"):
        return None, Response.fail(400, "Invalid media_id")
    error = _likeable(ctx, media)
    return (media, None) if error is None else (None, error)


def h_story_like(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """story_interactions/send_story_like and unsend_story_like (`<pk>_<owner>`)."""
    media, error = _story_by_media_id(ctx, request.value("media_id"))
    if error is not None:
        return error
    assert media is not None
    if match.group(1) == "send":
        if (throttled := _throttled(ctx)) is not None:
            return throttled
        ctx.world.record_like(
            _viewer(ctx).pk, media, request.endpoint, silent=_silent(ctx)
        )
    else:
        ctx.world.record_unlike(_viewer(ctx).pk, media)
    return Response.json({"status": "ok"})


_LIKE_ENDPOINTS = (
    re.compile(r"media/(\d+)(?:_\d+)?/(?:like|unlike)/"),
    re.compile(r"story_interactions/(?:send|unsend)_story_like"),
)


def _liked_media_pk(request: Request) -> int | None:
    """The media pk a like or unlike request names (for the request log), or None."""
    post, story = _LIKE_ENDPOINTS
    if (match := post.fullmatch(request.endpoint)) is not None:
        return int(match.group(1))
    if story.fullmatch(request.endpoint) is not None:
        media_id = request.value("media_id")
        if isinstance(media_id, str) and re.fullmatch(r"\d+_\d+", media_id):
            return int(media_id.split("_")[0])
    return None


def h_media_seen(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """v2/media/seen/?reel=1&live_vod=0: `reels` keys are `<pk>_<owner>_<owner>`."""
    reels = request.value("reels")
    if isinstance(reels, dict):
        for key in reels:
            parts = str(key).split("_")
            if len(parts) < 2 or not all(part.isdigit() for part in parts):
                continue
            media = ctx.world.media(int(parts[0]))
            if (
                media is not None
                and media.kind == "story"
                and _likeable(ctx, media) is None
            ):
                ctx.world.record_seen(_viewer(ctx).pk, media)
    return Response.json({"status": "ok"})


def h_ok(request: Request, ctx: Context, match: re.Match[str]) -> Response:
    """Endpoints the app touches that need nothing but ok."""
    return Response.json({"status": "ok"})


def _routes() -> list[Route]:
    table: list[tuple[str, str, Handler, bool]] = [
        ("GET", r"qe/sync/", h_qe_sync, False),
        ("POST", r"qe/sync/", h_qe_sync, False),
        ("POST", r"launcher/sync/", h_launcher_sync, False),
        ("POST", r"graphql_www", h_graphql_www, False),
        (
            "POST",
            r"bloks/async_action/com\.bloks\.www\.bloks\.caa\.login\.process_client_data_and_redirect/",
            h_caa_process_client_data,
            False,
        ),
        ("POST", r"attestation/create_android_keystore/", h_keystore, False),
        (
            "POST",
            r"bloks/async_action/com\.bloks\.www\.caa\.login\.oauth\.token\.fetch\.async/",
            h_caa_oauth,
            False,
        ),
        (
            "POST",
            r"bloks/async_action/com\.bloks\.www\.bloks\.caa\.login\.async\.send_login_request/",
            h_caa_login,
            False,
        ),
        (
            "POST",
            r"bloks/apps/com\.bloks\.www\.two_step_verification\.(entrypoint|method_picker)/",
            h_two_step_screen,
            False,
        ),
        (
            "POST",
            r"bloks/async_action/com\.bloks\.www\.two_step_verification\.method_picker\.navigation\.async/",
            h_two_step_screen,
            False,
        ),
        (
            "POST",
            r"bloks/apps/com\.bloks\.www\.two_factor_login\.enter_(totp|backup)_code/",
            h_two_step_screen,
            False,
        ),
        (
            "POST",
            r"bloks/async_action/com\.bloks\.www\.two_step_verification\.verify_code\.async/",
            h_two_step_verify,
            False,
        ),
        ("POST", r"accounts/login/", h_legacy_login, False),
        ("POST", r"accounts/two_factor_login/", h_legacy_two_factor, False),
        ("POST", r"accounts/contact_point_prefill/", h_ok, False),
        ("POST", r"accounts/get_prefill_candidates/", h_ok, False),
        ("GET", r"challenge/(\d+)/([A-Za-z0-9]+)/", h_challenge_get, False),
        ("POST", r"challenge/(\d+)/([A-Za-z0-9]+)/", h_challenge_post, False),
        ("GET", r"accounts/current_user/", h_current_user, True),
        ("POST", r"accounts/logout/", h_logout, True),
        ("POST", r"feed/reels_tray/", h_reels_tray, True),
        ("POST", r"feed/timeline/", h_timeline, True),
        ("GET", r"feed/reels_media/", h_reels_media, True),
        ("POST", r"feed/reels_media/", h_reels_media, True),
        ("GET", r"friendships/(\d+)/following/", h_following, True),
        ("GET", r"users/([^/]+)/usernameinfo/", h_usernameinfo, True),
        ("GET", r"users/(\d+)/info/", h_user_info, True),
        ("GET", r"friendships/show/(\d+)/", h_friendship, True),
        ("GET", r"feed/user/(\d+)/story/", h_user_story, True),
        ("GET", r"feed/user/(\d+)/", h_user_feed, True),
        ("POST", r"media/(\d+(?:_\d+)?)/(like|unlike)/", h_media_like, True),
        ("POST", r"v2/media/seen/", h_media_seen, True),
        ("POST", r"story_interactions/(send|unsend)_story_like", h_story_like, True),
    ]
    return [
        Route(method, re.compile(pattern), handler, auth)
        for method, pattern, handler, auth in table
    ]


ROUTES = _routes()


# ------------------------------------------------------------------- faults
def _request_user(request: Request, ctx: Context) -> User | None:
    if ctx.viewer is not None:
        return ctx.viewer
    name = request.value("username") or (
        request.params.get("client_input_params") or {}
    ).get("contact_point")
    return ctx.world.find_login(str(name)) if name else None


def _fault_checkpoint(rule: FaultRule, request: Request, ctx: Context) -> Response:
    """Open the checkpoint a CHALLENGE_* / CHECKPOINT_REQUIRED fault stands for."""
    user = _request_user(request, ctx)
    native = rule.fault is not Fault.CHALLENGE_CODES
    form: CheckpointForm = (
        "checkpoint" if rule.fault is Fault.CHECKPOINT_REQUIRED else "challenge"
    )
    if user is None:
        # No account to attach it to: the bare capture with an unusable path.
        return captured(captures.challenge_required("/challenge/", native=native))
    challenge = ctx.world.start_challenge(
        user.username, native=native, form=form, device=_device(request)
    )
    return challenge_required(challenge)


_CAPTURED_FAULTS: dict[Fault, Callable[[], captures.Answer]] = {
    Fault.HTTP_429: captures.throttled,
    Fault.LOGIN_REQUIRED: captures.login_required,
    Fault.ACCOUNT_SUSPENDED: captures.suspended,
    Fault.FEEDBACK_REQUIRED: lambda: captures.feedback_required(
        captures.FEEDBACK_RESTRICTED, "repute/report_problem/scraping/"
    ),
    Fault.FEEDBACK_BLOCKED: lambda: captures.feedback_required(
        captures.FEEDBACK_BLOCKED, "repute/report_problem/instagram_like_add/"
    ),
    Fault.NEEDS_UPGRADE: captures.needs_upgrade,
    Fault.IP_BLOCK: captures.ip_block,
    Fault.INVALID_USER: lambda: captures.invalid_user(typed=True),
}
_HTML = "text/html; charset=utf-8"
#: Faults answered with a fixed status, body and content type.
_PLAIN_FAULTS: dict[Fault, tuple[int, bytes, str]] = {
    Fault.HTTP_500: (500, captures.SERVER_ERROR_HTML, _HTML),
    Fault.HTTP_502: (502, captures.SERVER_ERROR_HTML, _HTML),
    Fault.HTTP_503: (503, captures.SERVER_ERROR_HTML, _HTML),
    Fault.CDN_SIGNATURE_EXPIRED: (403, cdn.SIGNATURE_EXPIRED, cdn.TEXT_PLAIN),
}


def fault_response(rule: FaultRule, request: Request, ctx: Context) -> Response:
    """The answer of a status-type fault (not reset / timeout), plus its headers."""
    response = _fault_body(rule, request, ctx)
    if rule.retry_after is not None and rule.fault in {
        Fault.HTTP_429,
        Fault.PLEASE_WAIT,
    }:
        response.headers["Retry-After"] = str(rule.retry_after)
    response.headers.update(rule.headers)
    return response


def _fault_body(rule: FaultRule, request: Request, ctx: Context) -> Response:
    """Status and body of a status-type fault."""
    fault = rule.fault
    if (build := _CAPTURED_FAULTS.get(fault)) is not None:
        return captured(build())
    if (plain := _PLAIN_FAULTS.get(fault)) is not None:
        return Response(*plain)
    if fault in {
        Fault.CHALLENGE_REQUIRED,
        Fault.CHALLENGE_CODES,
        Fault.CHECKPOINT_REQUIRED,
    }:
        return _fault_checkpoint(rule, request, ctx)
    if fault is Fault.PLEASE_WAIT:
        return captured(
            captures.please_wait(rule.status if rule.status != 200 else 400)
        )
    if fault is Fault.MALFORMED_JSON:
        return Response(200, b'{"status": "ok", "items": [{"pk": 1, "media_type"')
    if fault is Fault.RAW:
        return Response(rule.status, rule.body)
    msg = f"not a status fault: {fault}"
    raise ValueError(msg)


def cdn_answer(request: Request, ctx: Context) -> Response:
    """A picture from the image CDN (cdn.py): the JPEG, or its 403 for a bad path."""
    pk = cdn.picture_pk(request.endpoint)
    known = pk is not None and (
        ctx.world.media(pk) is not None or ctx.world.user_by_pk(pk) is not None
    )
    if request.method != "GET" or pk is None or not known:
        return Response(403, cdn.SIGNATURE_MISMATCH, cdn.TEXT_PLAIN)
    return Response(200, cdn.picture(pk), cdn.JPEG)


# ---------------------------------------------------------------------- app
class SandboxApp:
    """ASGI callable serving the emulated API plus `/__sandbox/` admin routes."""

    def __init__(
        self, world: World, abort_connection: AbortConnection | None = None
    ) -> None:
        self.world = world
        self.abort_connection = abort_connection
        self.shutdown: asyncio.Event | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = await self._read(scope, receive)
        if request.path.startswith(ADMIN_PREFIX):
            from .admin import handle_admin  # noqa: PLC0415  (admin imports this module)

            response = (
                handle_admin(self.world, request)
                if request.host in _ADMIN_HOSTS
                else Response.fail(404, "Page not found")
            )
            await self._write(send, response)
            return
        await self._serve_instagram(request, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read(self, scope: Scope, receive: Receive) -> Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = (
                f"{headers[name]}; {value}"
                if name == "cookie" and name in headers
                else value
            )
        host = headers.get("host") or headers.get(":authority") or ""
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= _MAX_BODY:
                chunks.append(chunk)
            if not message.get("more_body"):
                break
        query_all = parse_qs(
            scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        )
        query = {key: values[0] for key, values in query_all.items()}
        client = scope.get("client")
        request = Request(
            method=scope["method"].upper(),
            host=host.lower(),
            path=scope["path"],
            query=query,
            headers=headers,
            body=b"".join(chunks),
            client=(str(client[0]), int(client[1])) if client else None,
            query_all=query_all,
        )
        request.endpoint = endpoint_of(request.path)
        request.parse_body()
        return request

    def _context(self, request: Request) -> Context:
        sessionid = payloads.session_from_authorization(
            request.headers.get("authorization")
        )
        if sessionid is None and "cookie" in request.headers:
            cookie = SimpleCookie()
            try:
                cookie.load(request.headers["cookie"])
            except CookieError:
                cookie = SimpleCookie()
            if "sessionid" in cookie:
                sessionid = cookie["sessionid"].value
        session = self.world.session(sessionid)
        viewer = self.world.user_by_pk(session.pk) if session is not None else None
        return Context(self.world, viewer, session)

    def _route(self, request: Request, ctx: Context) -> Response:
        if cdn.is_cdn_host(request.host):
            return cdn_answer(request, ctx)
        for route in ROUTES:
            if route.method != request.method:
                continue
            match = route.pattern.fullmatch(request.endpoint)
            if match is None:
                continue
            if route.auth and ctx.viewer is None:
                return login_required()
            if route.auth and ctx.viewer is not None:
                # A pending checkpoint locks the account ("lock": true).
                checkpoint = checkpoint_of(request, ctx, ctx.viewer)
                if checkpoint is not None:
                    return checkpoint
            return route.handler(request, ctx, match)
        return Response.fail(404, "Page not found", error_type="not_found")

    async def _serve_instagram(self, request: Request, send: Send) -> None:
        ctx = self._context(request)
        arrived = self.world.clock.now()
        rule = self.world.faults.check(request.method, request.endpoint)
        fault = rule.fault if rule is not None else None
        if fault is Fault.CONNECTION_RESET:
            self._log(request, ctx, 0, fault, arrived)
            aborted = (
                self.abort_connection(request.client)
                if self.abort_connection
                else False
            )
            if aborted:
                raise ConnectionResetRequested
            # No tunnel to cut (direct client): end the stream 4 KiB short of the
            # announced length, which clients report as a broken transfer.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"4096")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"status": '})
            return
        late = fault is Fault.TIMEOUT and rule is not None and rule.act_late
        if late:
            assert rule is not None
            response = await self._act_late(request, ctx, arrived, rule)
            self._log(request, ctx, response.status, fault, arrived)
            await self._write(send, response)
            return
        if fault in SILENT_FAULTS:
            ctx.silent = rule  # answered normally; the like handlers obey it
        if (
            rule is not None
            and fault is not Fault.TIMEOUT
            and fault not in SILENT_FAULTS
        ):
            response = fault_response(rule, request, ctx)
        else:
            response = self._handle(request, ctx)
        if fault is Fault.TIMEOUT and not late:
            assert rule is not None
            # Instagram has acted (a like landed, the feeds show it); the answer is
            # what comes too late.
            await self._sleep(rule.delay)
        self._log(request, ctx, response.status, fault, arrived)
        await self._write(send, response)

    async def _act_late(
        self, request: Request, ctx: Context, arrived: float, rule: FaultRule
    ) -> Response:
        """A slow server: handle the request after `rule.delay` real seconds.

        Or earlier, once the world clock is `rule.act_within` seconds past the
        arrival: a simulation moves the world clock much faster than real time,
        and a server acting a quarter of an hour of world time late is no model
        of a slow answer.
        """
        lock = threading.Lock()
        answer: list[Response] = []

        def act() -> None:
            with lock:
                if not answer:
                    answer.append(self._handle(request, ctx))

        if rule.act_within is not None:
            self.world.clock.call_at(arrived + rule.act_within, act)
        await self._sleep(rule.delay)
        act()
        return answer[0]

    def _handle(self, request: Request, ctx: Context) -> Response:
        """Route the request; a sandbox bug still answers like a server (500)."""
        try:
            return self._route(request, ctx)
        except Exception:  # noqa: BLE001  (a sandbox bug must still answer like a server)
            return Response(500, captures.SERVER_ERROR_HTML, "text/html; charset=utf-8")

    async def _sleep(self, seconds: float) -> None:
        if self.shutdown is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self.shutdown.wait(), seconds)
        except TimeoutError:
            return

    def _log(
        self,
        request: Request,
        ctx: Context,
        status: int,
        fault: Fault | None,
        arrived: float,
    ) -> None:
        self.world.record_request(
            RequestRecord(
                at=self.world.clock.now(),
                arrived=arrived,
                wall=time.time(),
                method=request.method,
                host=request.host,
                path=request.path,
                endpoint=request.endpoint,
                query=redact_query(request.query),
                viewer_pk=ctx.viewer.pk if ctx.viewer is not None else None,
                status=status,
                fault=fault.value if fault is not None else None,
                batch=request.batch,
                media_pk=_liked_media_pk(request),
            )
        )

    @staticmethod
    async def _write(send: Send, response: Response) -> None:
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            (b"x-fb-trip-id", secrets.token_hex(6).encode()),
        ]
        headers.extend(
            (name.lower().encode(), value.encode("latin-1"))
            for name, value in response.headers.items()
        )
        headers.extend(
            (b"set-cookie", cookie.encode("latin-1")) for cookie in response.cookies
        )
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": headers,
            }
        )
        await send({"type": "http.response.body", "body": response.body})
