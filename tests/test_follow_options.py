"""Follow mode as the options set it: the mode and the excluded accounts."""

from __future__ import annotations

from custom_components.ig_autoliker.engine.follow import FollowSettings, LikeMode
from custom_components.ig_autoliker.options import (
    follow_settings_from_options,
    safety_settings_from_options,
)


def test_no_follow_options_keep_the_chosen_targets_mode() -> None:
    assert follow_settings_from_options({}) == FollowSettings()
    assert FollowSettings().mode is LikeMode.TARGETS
    assert not FollowSettings().follows


def test_excluded_usernames_are_normalised_and_reach_the_engine() -> None:
    options = {
        "like_mode": "both",
        "excluded_accounts": [" @Anna.B ", "ben", "@", "", "BEN"],
    }
    expected = FollowSettings(LikeMode.BOTH, frozenset({"anna.b", "ben"}))

    assert follow_settings_from_options(options) == expected
    assert safety_settings_from_options(options).follow == expected
    assert expected.follows
    assert expected.targets


def test_an_unknown_mode_reads_as_targets() -> None:
    settings = follow_settings_from_options({"like_mode": "everyone"})
    assert settings.mode is LikeMode.TARGETS
