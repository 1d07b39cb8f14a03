"""The adapter sends a like once, whatever Instagram answers.

instagrapi's `private_request` resends a request itself after `ClientRequestTimeout`
(an HTTP 408 answer: it sleeps 60 s, then sends it again) and after
`ClientIncompleteReadError`; for a like that resend is a second like Instagram
receives. The adapter must send a like at most once per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from custom_components.ig_autoliker.engine.exceptions import CannotConnect

from tests.sandbox import Fault
from tests.sandbox.testworld import PUBLIC

if TYPE_CHECKING:
    from custom_components.ig_autoliker.engine.client import InstagramClient

    from tests.sandbox import Sandbox


@pytest.mark.parametrize("kind", ["post", "story"])
def test_a_408_answer_to_a_like_is_not_resent(
    alice: InstagramClient, sandbox: Sandbox, kind: str
) -> None:
    """HTTP 408 on the like: one like request, CannotConnect, no 60 s sleep."""
    world = sandbox.world
    owner = world.user(PUBLIC)
    assert owner is not None
    media = (world.stories_of if kind == "story" else world.posts_of)(owner.pk)[0]
    item = next(
        i
        for i in (alice.user_stories if kind == "story" else alice.user_posts)(
            str(owner.pk)
        )
        if i.pk == str(media.pk)
    )
    endpoint = (
        "story_interactions/send_story_like" if kind == "story" else "media/*/like/"
    )
    world.faults.add(
        endpoint, Fault.RAW, status=408, body=b"Request Timeout", times=None
    )
    sleeps: list[float] = []

    with (
        patch("instagrapi.mixins.private.time.sleep", sleeps.append),
        pytest.raises(CannotConnect),
    ):
        (alice.like_story if kind == "story" else alice.like_post)(item)

    sent = [r for r in world.requests(endpoint, "POST") if r.media_pk == media.pk]
    assert len(sent) == 1, f"{len(sent)} like requests; instagrapi slept {sleeps}"
    assert 60 not in sleeps
