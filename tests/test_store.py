"""The store keeps what is well-formed and forgets stories 24 h after their like."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from custom_components.ig_autoliker.const import DOMAIN
from custom_components.ig_autoliker.engine.history import (
    HistoryDamagedError,
    LikeHistory,
)
from custom_components.ig_autoliker.engine.state import (
    STORY_RETENTION,
    UNSURE_RETENTION,
)
from custom_components.ig_autoliker.store import (
    RECENT_POSTS,
    STORAGE_VERSION,
    IgAutolikerStore,
    StoredData,
    TargetState,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers import issue_registry as ir
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
        targets={
            "9": TargetState(
                pk="9",
                stories_liked=3,
                last_error="private",
                last_thumbnail="https://cdn.example/v/t51.2885-15/1.jpg?oe=6A00&oh=x",
            )
        },
        limiter={"likes": [1.0]},
        auto_like=False,
        last_cycle=123.0,
    )
    assert StoredData.from_dict(stored.as_dict()) == stored


def test_a_store_from_before_the_stored_preview_loads_without_one() -> None:
    """Targets written before `last_thumbnail` existed: no picture, nothing lost."""
    stored, lost = StoredData.parse(
        {"targets": {"9": {"stories_liked": 3, "last_like": 100.0}}}
    )
    assert stored.targets["9"] == TargetState(
        pk="9", stories_liked=3, last_like=100.0, last_thumbnail=None
    )
    assert lost == []
    # A preview of the wrong kind is dropped and named.
    stored, lost = StoredData.parse({"targets": {"9": {"last_thumbnail": 5}}})
    assert stored.targets["9"] == TargetState(pk="9")
    assert lost == ["targets"]


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


def test_unanswered_likes_survive_a_restart_and_are_let_go_after_a_week() -> None:
    """A like whose answer was lost stays unsure across a save, then ages out."""
    now = 1_000_000.0
    stored = StoredData(
        unsure_likes={"week_old": now - UNSURE_RETENTION, "fresh": now - 60.0}
    )
    restored = StoredData.from_dict(stored.as_dict())
    assert restored.unsure_likes == stored.unsure_likes

    restored.purge_stories(now)

    assert restored.unsure_likes == {"fresh": now - 60.0}


async def test_newer_major_version_is_refused(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage["ig_autoliker.entry"] = {
        "version": STORAGE_VERSION + 1,
        "minor_version": 1,
        "key": "ig_autoliker.entry",
        "data": {"liked_posts": {"1": 1.0}},
    }
    with pytest.raises(UnsupportedStorageVersionError):
        await IgAutolikerStore(hass, "entry").async_load_data()


FIXTURE = Path(__file__).parent / "fixtures" / "store_v1.json"
#: When tests/fixtures/store_v1.json was written (by version 1 of the store).
WRITTEN_AT = 1_795_000_000.0


async def test_a_store_written_by_version_1_moves_old_posts_into_the_history(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """No like is lost; the working store keeps only the recent posts."""
    written = json.loads(FIXTURE.read_text())
    hass_storage["ig_autoliker.entry"] = {**written, "key": "ig_autoliker.entry"}
    store = IgAutolikerStore(hass, "entry")
    store.clock = lambda: WRITTEN_AT + 60

    stored = await store.async_load_data()

    old = written["data"]
    assert stored.liked_posts == {
        pk: at for pk, at in old["liked_posts"].items() if WRITTEN_AT - at < 86400 * 7
    }
    assert len(stored.liked_posts) == 2
    history = await hass.async_add_executor_job(
        store.history.find, list(old["liked_posts"])
    )
    assert history == old["liked_posts"]
    # Everything else survived as it was.
    assert stored.session == old["session"]
    assert stored.limiter == old["limiter"]
    assert stored.liked_stories == old["liked_stories"]
    assert stored.targets["111"].posts_liked == 4
    assert store.lost == []
    assert hass_storage["ig_autoliker.entry"]["version"] == STORAGE_VERSION
    assert hass_storage["ig_autoliker.entry"]["data"]["liked_posts"] == (
        stored.liked_posts
    )


async def test_a_post_met_again_comes_back_from_the_history(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    store = IgAutolikerStore(hass, "entry")
    await hass.async_add_executor_job(store.history.add, {"old": 1.0})
    stored = StoredData(liked_posts={"recent": 5.0})

    found = await store.async_recall_posts(stored, ["old", "recent", "new"], 9.0)

    assert found == 1
    assert stored.liked_posts == {"recent": 5.0, "old": 9.0}
    # Met again now, not liked now: restored limits count the like of 5.0 only.
    assert stored.own_likes(9.0) == ([5.0], [])
    assert await store.async_recall_posts(stored, ["recent"], 10.0) == 0


async def test_saving_moves_posts_not_met_for_a_week_into_the_history(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    store = IgAutolikerStore(hass, "entry")
    now = 1_000_000_000.0
    store.clock = lambda: now
    stored = StoredData(liked_posts={"old": now - RECENT_POSTS, "new": now - 60})

    await store.async_save_data(stored)
    stored.liked_posts["older"] = now - 2 * RECENT_POSTS
    await store.async_save_data(stored)  # within the hour: no second move

    assert hass_storage["ig_autoliker.entry"]["data"]["liked_posts"] == {
        "new": now - 60,
        "older": now - 2 * RECENT_POSTS,
    }
    assert await hass.async_add_executor_job(store.history.count) == 1


def test_history_finds_more_pks_than_one_statement_may_hold(tmp_path: Path) -> None:
    history = LikeHistory(tmp_path / "h.db")
    assert history.find(["1"]) == {}
    assert history.count() == 0
    history.add({str(pk): float(pk) for pk in range(1200)})
    history.add({"5": 99.0})  # a post keeps its first like time
    history.add({})

    assert history.find([str(pk) for pk in range(0, 2400, 2)]) == {
        str(pk): float(pk) for pk in range(0, 1200, 2)
    }
    assert history.count() == 1200
    history.remove()
    assert not (tmp_path / "h.db").exists()


def test_a_damaged_history_is_moved_aside_and_started_anew(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not a database" * 100)
    history = LikeHistory(path)

    with pytest.raises(HistoryDamagedError):
        history.find(["1"])

    assert (tmp_path / "h.db.corrupt").exists()
    assert history.count() == 0
    history.add({"1": 1.0})
    assert history.find(["1"]) == {"1": 1.0}


async def test_a_damaged_history_is_reported_once_and_recovers(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    store = IgAutolikerStore(hass, "entry")
    store.history.path.parent.mkdir(parents=True, exist_ok=True)
    store.history.path.write_bytes(b"garbage" * 1000)

    assert await store.async_recall_posts(StoredData(), ["1"], 1.0) == 0
    assert ir.async_get(hass).async_get_issue(DOMAIN, "store_damaged_entry")
    store.history.path.write_bytes(b"garbage" * 1000)
    caplog.clear()
    now = 1_000_000_000.0
    store.clock = lambda: now
    stored = StoredData(liked_posts={"old": 1.0})
    await store.async_save_data(stored)

    assert stored.liked_posts == {}
    assert await hass.async_add_executor_job(store.history.find, ["old"]) == {
        "old": 1.0
    }
    damaged = [r for r in caplog.records if "was damaged" in r.getMessage()]
    assert len(damaged) == 1


def test_a_partly_wrong_store_names_what_it_lost() -> None:
    stored, lost = StoredData.parse(
        {
            "session": ["wrong"],
            "liked_posts": {"1": 1.0, "2": "x"},
            "targets": {"9": {"posts_liked": 3, "last_like": "x"}},
            "limiter": {"likes": [1.0]},
        }
    )
    assert lost == ["session", "liked_posts", "targets"]
    assert stored.liked_posts == {"1": 1.0}
    assert stored.targets["9"].posts_liked == 3
    assert stored.limiter == {"likes": [1.0]}
    assert StoredData.parse(None) == (StoredData(), [])
    assert StoredData.parse([1]) == (StoredData(), ["all"])
    assert StoredData.parse({"targets": [1], "auto_like": 1})[1] == [
        "auto_like",
        "targets",
    ]
