"""The store keeps what is well-formed and forgets stories 24 h after their like."""

from __future__ import annotations

from typing import Any

import pytest
from custom_components.ig_autoliker.const import STORY_RETENTION
from custom_components.ig_autoliker.store import (
    IgAutolikerStore,
    StoredData,
    TargetState,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
from hypothesis import given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


def test_round_trip_keeps_everything() -> None:
    stored = StoredData(
        session={"cookies": {"sessionid": "x"}},
        liked_stories={"1": 100.0},
        liked_posts={"2": 200.0},
        targets={"9": TargetState(pk="9", stories_liked=3, last_error="private")},
        limiter={"likes": [1.0]},
        auto_like=False,
        last_cycle=123.0,
    )
    assert StoredData.from_dict(stored.as_dict()) == stored


def test_malformed_parts_fall_back_to_defaults_and_keep_the_rest() -> None:
    data: dict[str, Any] = {
        "session": "not a dict",
        "liked_stories": {"1": "yesterday", "2": 5, "3": True},
        "liked_posts": ["not", "a", "mapping"],
        "targets": {"9": {"stories_liked": -4, "posts_liked": 7, "last_like": "x"}},
        "auto_like": "no",
        "last_cycle": True,
    }
    stored = StoredData.from_dict(data)
    assert stored.session is None
    assert stored.liked_stories == {"2": 5.0}
    assert stored.liked_posts == {}
    assert stored.targets["9"] == TargetState(pk="9", posts_liked=7)
    assert stored.auto_like is True
    assert stored.last_cycle is None


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_any_json_loads_without_raising(data: Any) -> None:
    stored = StoredData.from_dict(data)
    assert StoredData.from_dict(stored.as_dict()) == stored


def test_stories_are_purged_24_hours_after_their_like_posts_never() -> None:
    now = 1_000_000.0
    stored = StoredData(
        liked_stories={
            "old": now - STORY_RETENTION,
            "young": now - STORY_RETENTION + 1,
        },
        liked_posts={"ancient": 0.0},
    )
    assert stored.purge_stories(now) == 1
    assert stored.liked_stories == {"young": now - STORY_RETENTION + 1}
    assert stored.liked_posts == {"ancient": 0.0}


async def test_newer_major_version_is_refused(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage["ig_autoliker.entry"] = {
        "version": 99,
        "minor_version": 1,
        "key": "ig_autoliker.entry",
        "data": {"liked_posts": {"1": 1.0}},
    }
    with pytest.raises(UnsupportedStorageVersionError):
        await IgAutolikerStore(hass, "entry").async_load_data()


async def test_current_version_loads(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage["ig_autoliker.entry"] = {
        "version": 1,
        "minor_version": 1,
        "key": "ig_autoliker.entry",
        "data": {"liked_posts": {"1": 1.0}},
    }
    assert (await IgAutolikerStore(hass, "entry").async_load_data()).liked_posts == {
        "1": 1.0
    }
