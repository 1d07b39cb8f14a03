"""Admin JSON API under /__sandbox/ (only for Host 127.0.0.1 / localhost).

GET    /__sandbox/state     likes, seen, request counts, login count, faults
GET    /__sandbox/requests  the request log (?endpoint=<fnmatch pattern>)
POST   /__sandbox/stories   {"username", "media_type"=1, "age"=0} -> {"pk", "id"}
POST   /__sandbox/posts     {"username", "kind"="photo"|"album"|"reel", "age"=0,
                             "carousel_count"=3} -> {"pk", "id"}
POST   /__sandbox/clock     {"advance": seconds} or {"set": unix seconds} -> {"now"}
POST   /__sandbox/faults    {"endpoint", "fault", "on_call"=1, "times"=1, "method",
                             "delay", "act_late"=false, "retry_after", "status",
                             "body", "headers"}
                             (fault: a faults.Fault value, e.g. "http_429")
POST   /__sandbox/challenge {"username", "action"="confirm"|"open", "native"=true,
                             "form"="challenge"|"checkpoint"}: "confirm" is the user
                             tapping "This was me" in the app -> {"confirmed": bool}
POST   /__sandbox/suspend   {"username", "suspended"=true}
DELETE /__sandbox/faults    remove every fault
POST   /__sandbox/revoke    {"username"} -> {"revoked": n}
POST   /__sandbox/follow    {"viewer", "target", "follow"=true}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .app import Response
from .faults import Fault

if TYPE_CHECKING:
    from .app import Request
    from .world import CheckpointForm, World


def _media_answer(media: Any) -> Response:
    return Response.json(
        {
            "pk": str(media.pk),
            "id": media.id,
            "taken_at": media.taken_at,
            "kind": media.kind,
        }
    )


def _challenge(world: World, body: dict[str, Any]) -> Response:
    """Confirm a native checkpoint in the "app", or open one."""
    username = str(body["username"])
    if body.get("action", "confirm") == "confirm":
        return Response.json({"confirmed": world.confirm_challenge(username)})
    form: CheckpointForm = (
        "checkpoint" if body.get("form") == "checkpoint" else "challenge"
    )
    challenge = world.start_challenge(
        username, native=bool(body.get("native", True)), form=form
    )
    return Response.json({"api_path": challenge.api_path, "native": challenge.native})


def _optional_float(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    return None if value is None else float(value)


def _silent_block(world: World, body: dict[str, Any]) -> Response:
    """Start a silent like block of an account, or end it (`"end": true`)."""
    username = str(body["username"])
    if body.get("end"):
        ended = world.end_silent_block(username, _optional_float(body, "at"))
        return Response.json({"ended": ended})
    block = world.silent_block(
        username,
        since=_optional_float(body, "since"),
        until=_optional_float(body, "until"),
        undo_after=_optional_float(body, "undo_after"),
    )
    return Response.json(
        {
            "viewer_pk": block.viewer_pk,
            "since": block.since,
            "until": block.until,
            "undo_after": block.undo_after,
        }
    )


def handle_admin(world: World, request: Request) -> Response:  # noqa: PLR0911, PLR0912
    """Serve one admin request."""
    body = request.json_body if isinstance(request.json_body, dict) else {}
    route = (request.method, request.path.removeprefix("/__sandbox/").strip("/"))
    try:
        match route:
            case ("GET", "state"):
                return Response.json(world.snapshot())
            case ("GET", "requests"):
                pattern = request.query.get("endpoint")
                return Response.json(
                    [record.as_dict() for record in world.requests(pattern)]
                )
            case ("POST", "stories"):
                media = world.add_story(
                    str(body["username"]),
                    media_type=int(body.get("media_type", 1)),
                    age=float(body.get("age", 0)),
                )
                return _media_answer(media)
            case ("POST", "posts"):
                media = world.add_post(
                    str(body["username"]),
                    body.get("kind", "photo"),
                    age=float(body.get("age", 0)),
                    carousel_count=int(body.get("carousel_count", 3)),
                )
                return _media_answer(media)
            case ("POST", "clock"):
                if "set" in body:
                    world.clock.set(float(body["set"]))
                else:
                    world.clock.advance(float(body.get("advance", 0)))
                return Response.json({"now": world.clock.now()})
            case ("POST", "faults"):
                rule = world.faults.add(
                    str(body["endpoint"]),
                    Fault(body["fault"]),
                    on_call=int(body.get("on_call", 1)),
                    times=None
                    if body.get("times", 1) is None
                    else int(body.get("times", 1)),
                    method=body.get("method"),
                    delay=float(body.get("delay", 5.0)),
                    act_late=bool(body.get("act_late", False)),
                    retry_after=None
                    if body.get("retry_after") is None
                    else int(body["retry_after"]),
                    status=int(body.get("status", 200)),
                    body=str(body.get("body", "")).encode(),
                    headers={
                        str(name): str(value)
                        for name, value in dict(body.get("headers") or {}).items()
                    },
                )
                return Response.json(rule.as_dict())
            case ("POST", "challenge"):
                return _challenge(world, body)
            case ("POST", "silent_block"):
                return _silent_block(world, body)
            case ("POST", "suspend"):
                world.set_suspended(
                    str(body["username"]), suspended=bool(body.get("suspended", True))
                )
                return Response.json({"status": "ok"})
            case ("DELETE", "faults"):
                world.faults.clear()
                return Response.json({"status": "ok"})
            case ("POST", "revoke"):
                return Response.json(
                    {"revoked": world.revoke_sessions(str(body["username"]))}
                )
            case ("POST", "follow"):
                if body.get("follow", True):
                    world.follow(str(body["viewer"]), str(body["target"]))
                else:
                    world.unfollow(str(body["viewer"]), str(body["target"]))
                return Response.json({"status": "ok"})
            case _:
                return Response.fail(404, "unknown admin route")
    except (KeyError, ValueError, TypeError) as exc:
        return Response.fail(400, f"bad admin request: {type(exc).__name__}: {exc}")
