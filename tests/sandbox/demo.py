"""The demo world (`scripts/sandbox --world demo`).

One two-factor account and three public targets with stories, photos, albums, reels.
"""

from __future__ import annotations

from .world import World

DEMO_USERNAME = "demo_user"
DEMO_PASSWORD = "sandbox-demo-pass"
DEMO_CODE = "123456"
DEMO_TARGETS = ("nat_geo_demo", "chef_demo", "travel_demo")
#: 50 more accounts demo_user follows, with nothing posted: the bulk-target form's
#: pick list (README picture). Invented names, none a real account's.
DEMO_FOLLOWED = tuple(
    f"{first}.{topic}_demo"
    for first in ("anna", "ben", "clara", "david", "emma")
    for topic in (
        "bakes",
        "climbs",
        "cycles",
        "draws",
        "films",
        "hikes",
        "paints",
        "runs",
        "sails",
        "travels",
    )
)


def build_demo_world() -> World:
    """Build demo_user (two-factor, code 123456): 3 public targets, 50 more followed."""
    world = World()
    world.add_account(
        DEMO_USERNAME,
        DEMO_PASSWORD,
        full_name="Demo User",
        two_factor_code=DEMO_CODE,
        email="demo_user@example.com",
        phone_number="+15550100042",
    )
    for index, name in enumerate(DEMO_TARGETS):
        world.add_target(
            name, full_name=name.replace("_", " ").title(), followed_by=(DEMO_USERNAME,)
        )
        world.add_story(name, media_type=1, age=5 * 3600 + index * 60)
        world.add_story(name, media_type=2, age=2 * 3600 + index * 60)
        world.add_post(name, "photo", age=3 * 86400 + index * 600)
        world.add_post(
            name, "album", age=2 * 86400 + index * 600, carousel_count=2 + index
        )
        world.add_post(name, "reel", age=86400 + index * 600)
        world.add_post(name, "photo", age=6 * 3600 + index * 600)
    for name in DEMO_FOLLOWED:
        first, topic = name.removesuffix("_demo").split(".")
        world.add_target(
            name, full_name=f"{first.title()} {topic}", followed_by=(DEMO_USERNAME,)
        )
    return world


WORLDS = {"demo": build_demo_world}
