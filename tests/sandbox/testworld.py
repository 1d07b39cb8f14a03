"""The test suite's default world: an account per login path, targets of every kind."""

from __future__ import annotations

from dataclasses import dataclass

from .world import Clock, World


@dataclass(frozen=True)
class Credentials:
    """A test account's login."""

    username: str
    password: str
    code: str | None = None


#: CAA login, no two-factor: the account most tests use.
ALICE = Credentials("alice", "alice-pass-1")
#: Legacy login (the CAA answer carries CAA_LOGIN_FALLBACK).
BOB = Credentials("bob_legacy", "bob-pass-2")
#: CAA login with two-factor (TOTP), code 111111.
CAROL = Credentials("carol_2fa", "carol-pass-3", "111111")
#: Legacy login with two-factor (SMS), code 222222.
DAVE = Credentials("dave_2fa_legacy", "dave-pass-4", "222222")
#: CAA login hitting a code checkpoint (native_flow false; email + sms), code 333333.
ERIN = Credentials("erin_checkpoint", "erin-pass-5", "333333")
#: Legacy login hitting a code checkpoint that offers email only, code 444444.
FRANK = Credentials("frank_checkpoint", "frank-pass-6", "444444")
#: CAA login hitting a native_flow checkpoint: confirm in the app (admin API).
GRACE = Credentials("grace_native", "grace-pass-7")
#: Legacy login of a suspended account.
HEIDI = Credentials("heidi_suspended", "heidi-pass-8")
#: Legacy login with two-factor by WhatsApp (and SMS), code 555555.
IVAN = Credentials("ivan_whatsapp", "ivan-pass-9", "555555")

# public; 2 stories (photo, video); posts: photo, album, reel, 2 older photos
PUBLIC = "public_star"
PRIVATE_FOLLOWED = "private_friend"  # private, followed by alice; 1 story, 1 photo
PRIVATE_STRANGER = (
    "private_stranger"  # private, not followed by anyone; 1 story, 1 photo
)
QUIET = "quiet_user"  # public, nothing posted
MISSING = "no_such_user_42"  # absent


def build_test_world(start: float | None = None) -> World:
    """
    A fresh world; media times are relative to the world clock at build time.

    Args:
        start: Unix seconds the world clock starts at (None: the real time, for
            `python -m tests.sandbox`).

    """
    world = World(clock=Clock(start))
    world.add_account(ALICE.username, ALICE.password, full_name="Alice Example")
    world.add_account(
        BOB.username, BOB.password, full_name="Bob Legacy", login_flow="legacy"
    )
    world.add_account(
        CAROL.username,
        CAROL.password,
        full_name="Carol 2FA",
        two_factor_code=CAROL.code,
    )
    world.add_account(
        DAVE.username,
        DAVE.password,
        full_name="Dave 2FA Legacy",
        login_flow="legacy",
        two_factor_code=DAVE.code,
        two_factor_method="sms",
    )
    world.add_account(
        ERIN.username,
        ERIN.password,
        full_name="Erin Checkpoint",
        challenge_code=ERIN.code,
        challenge_native=False,
    )
    world.add_account(
        FRANK.username,
        FRANK.password,
        full_name="Frank Checkpoint",
        login_flow="legacy",
        challenge_code=FRANK.code,
        challenge_methods=("email",),
        challenge_native=False,
    )
    world.add_target(
        PUBLIC, full_name="Public Star", followed_by=(ALICE.username, BOB.username)
    )
    world.add_target(
        PRIVATE_FOLLOWED,
        full_name="Private Friend",
        is_private=True,
        followed_by=(ALICE.username,),
    )
    world.add_target(PRIVATE_STRANGER, full_name="Private Stranger", is_private=True)
    world.add_target(QUIET, full_name="Quiet User")

    world.add_story(PUBLIC, media_type=1, age=3 * 3600)
    world.add_story(PUBLIC, media_type=2, age=1 * 3600)
    world.add_post(PUBLIC, "photo", age=40 * 3600)
    world.add_post(PUBLIC, "photo", age=30 * 3600)
    world.add_post(PUBLIC, "reel", age=20 * 3600)
    world.add_post(PUBLIC, "album", age=10 * 3600, carousel_count=3)
    world.add_post(PUBLIC, "photo", age=2 * 3600)
    world.add_story(PRIVATE_FOLLOWED, age=600)
    world.add_post(PRIVATE_FOLLOWED, "photo", age=7200)
    world.add_story(PRIVATE_STRANGER, age=600)
    world.add_post(PRIVATE_STRANGER, "photo", age=7200)
    # Added last so the pks above stay what the snapshots hold.
    grace = world.add_account(GRACE.username, GRACE.password, full_name="Grace Native")
    world.start_challenge(grace.username)
    world.follow(GRACE.username, PUBLIC)
    world.add_account(
        HEIDI.username,
        HEIDI.password,
        full_name="Heidi Suspended",
        login_flow="legacy",
        suspended=True,
    )
    world.add_account(
        IVAN.username,
        IVAN.password,
        full_name="Ivan WhatsApp",
        login_flow="legacy",
        two_factor_code=IVAN.code,
        two_factor_method="whatsapp",
    )
    return world


def pk_of(world: World, username: str) -> str:
    """The emulated account's pk, as the integration stores it (a string)."""
    user = world.user(username)
    assert user is not None
    return str(user.pk)
