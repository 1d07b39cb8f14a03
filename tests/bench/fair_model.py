"""A pure model of the target-mode week: the real planner and fair order, fake feeds.

No Home Assistant, no emulator, no requests: the planner (`CyclePlanner`), the rate
limiter and `fairness.py` run as in the engine, against feeds made from the same
publication schedule as `tests/bench/sim.py` (same seed, same week), with a fake
clock. What it leaves out: the pacer's retries, the silent-block check reads, the
store, the baseline. It is quick (seconds to a minute a week at 400 targets), so a
rule can be compared over several seeds before the real simulation confirms it;
its figures are close to the simulation's but not the same (README).

    python -m tests.bench.fair_model [N] [SEED ...]

prints one line per seed, judged as `sim._judge` judges: per target, the share of
its media published in the judged days liked within 24 h of publication.
"""

from __future__ import annotations

import random
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from custom_components.ig_autoliker.engine import fairness
from custom_components.ig_autoliker.engine import planner as pl
from custom_components.ig_autoliker.engine.models import MediaItem, MediaKind
from custom_components.ig_autoliker.engine.ratelimit import Action, Limits, RateLimiter
from custom_components.ig_autoliker.engine.state import TargetState

from tests.bench.sim import START, SimConfig, schedule, target_name

DAY = 86400.0
#: The tray is read every quarter hour (`planner.STORY_CHECK`), cycles jittered.
CYCLE = pl.STORY_CHECK
CYCLE_JITTER = 0.1
#: Default limits and the simulation's options (no warm-up, a cap of 50).
POLICY = pl.Policy(
    max_likes_per_hour=40, max_likes_per_day=800, max_likes_per_target=50
)
#: Story targets per `feed/reels_media/` request, as `engine.REELS_BATCH`.
BATCH = 20
#: Newest posts a post feed shows.
FEED_POSTS = 12


@dataclass
class _Week:
    """The schedule as feeds, the targets' states, our likes."""

    config: SimConfig
    clock: list[float] = field(default_factory=lambda: [START])
    stories: dict[str, list[MediaItem]] = field(default_factory=dict)
    posts: dict[str, list[MediaItem]] = field(default_factory=dict)
    states: dict[str, TargetState] = field(default_factory=dict)
    liked: dict[str, float] = field(default_factory=dict)

    def now(self) -> float:
        return self.clock[0]

    def live(self, pk: str) -> list[MediaItem]:
        now = self.now()
        return [s for s in self.stories[pk] if 0 <= now - s.taken_at.timestamp() < DAY]


def _view(state: TargetState) -> pl.TargetView:
    """As `engine.target_view`."""
    return pl.TargetView(
        pk=state.pk,
        followed=state.followed,
        followed_checked=state.followed_checked,
        last_story_check=state.last_story_check,
        last_post_check=state.last_post_check,
        latest_reel_media=state.latest_reel_media,
        fair_liked=state.fair_liked,
        fair_seen=state.fair_seen,
    )


def _build(config: SimConfig) -> _Week:
    week = _Week(config)
    for index in range(config.targets):
        name = target_name(index)
        week.stories[name], week.posts[name] = [], []
        week.states[name] = TargetState(name)
    for number, publication in enumerate(schedule(config, START)):
        story = publication.kind == "story"
        item = MediaItem(
            str(number),
            f"{number}_{publication.target}",
            publication.target,
            MediaKind.STORY if story else MediaKind.PHOTO,
            datetime.fromtimestamp(publication.at, UTC),
            has_liked=False,
        )
        (week.stories if story else week.posts)[publication.target].append(item)
    return week


def _step(
    week: _Week, planner: pl.CyclePlanner, limiter: RateLimiter, step: pl.Step
) -> None:
    """Carry out one step as the engine would, with the pacer's pauses."""
    now = week.now
    if step.kind is pl.StepKind.LIKE:
        week.clock[0] += limiter.like_delay()
    week.clock[0] += limiter.request_delay()
    limiter.record(Action.REQUEST, step.requests)
    if step.kind is pl.StepKind.TRAY:
        tray = {}
        for pk, state in week.states.items():
            fairness.settle(state, now())
            if live := week.live(pk):
                tray[pk] = int(max(s.taken_at.timestamp() for s in live))
                state.followed, state.followed_checked = True, now()
                fairness.note_tray(state, tray[pk], now())
        planner.on_tray(tray)
    elif step.kind is pl.StepKind.FRIENDSHIP:
        assert step.target_pk is not None
        state = week.states[step.target_pk]
        state.followed, state.followed_checked = True, now()
        planner.on_friendship(step.target_pk)
    elif step.kind is pl.StepKind.STORIES:
        for pk in step.batch or (step.target_pk or "",):
            state, live = week.states[pk], week.live(pk)
            state.last_story_check = now()
            fairness.note_seen(state, live, now())
            newest = max((int(s.taken_at.timestamp()) for s in live), default=0)
            unliked = [s for s in live if s.pk not in week.liked]
            planner.on_stories(pk, unliked, newest)
            if handled := planner.stories_handled(pk):
                state.latest_reel_media = handled
    elif step.kind is pl.StepKind.POSTS:
        assert step.target_pk is not None
        state = week.states[step.target_pk]
        shown = [
            p for p in week.posts[step.target_pk] if p.taken_at.timestamp() <= now()
        ][-FEED_POSTS:]
        state.last_post_check = now()
        fairness.note_seen(state, shown, now())
        planner.on_posts(state.pk, [p for p in shown if p.pk not in week.liked])
    elif step.kind is pl.StepKind.LIKE:
        item = step.item
        assert item is not None
        limiter.record(Action.LIKE)
        if item.kind is MediaKind.STORY:
            limiter.record(Action.STORY_VIEW)
        week.liked[item.pk] = now()
        state = week.states[item.owner_pk]
        fairness.note_liked(state, item, now())
        planner.on_handled(item, liked=True)
        if item.kind is MediaKind.STORY and (
            handled := planner.stories_handled(item.owner_pk)
        ):
            state.latest_reel_media = handled


def run(targets: int = 400, seed: int = 1, jitter_seed: int = 7) -> dict[str, float]:
    """Model one week (and the day after it); return the judged figures."""
    config = SimConfig(targets=targets, seed=seed)
    week = _build(config)
    rng = random.Random(jitter_seed)
    limiter = RateLimiter(Limits(), clock=week.now, rng=rng)
    end = START + (config.days + 1) * DAY
    carried: list[MediaItem] = []
    while week.now() < end:
        started = week.now()
        planner = pl.CyclePlanner(
            limiter,
            started=started,
            interval=CYCLE,
            policy=POLICY,
            story_batch=BATCH,
            poll_interval=3600.0,
            carried=[p for p in carried if p.pk not in week.liked],
        )
        previous = None
        while True:
            views = [_view(state) for state in week.states.values()]
            step = planner.next_step(views, week.now())
            if step.kind is pl.StepKind.DONE:
                break
            if step.kind is pl.StepKind.WAIT:
                week.clock[0] += step.seconds
                continue
            if step.target_pk not in {None, previous}:
                if previous is not None:
                    week.clock[0] += limiter.account_delay()
                previous = step.target_pk
            _step(week, planner, limiter, step)
        carried = planner.leftover(week.now())
        jitter = rng.uniform(1 - CYCLE_JITTER, 1 + CYCLE_JITTER)
        week.clock[0] = max(week.now(), started + CYCLE * jitter)
    return _judge(week)


def _judge(week: _Week) -> dict[str, float]:
    judged_until = START + week.config.days * DAY
    per_target: dict[str, list[bool]] = {}
    kinds: dict[bool, list[bool]] = {True: [], False: []}
    for feeds in (week.stories, week.posts):
        for pk, items in feeds.items():
            for item in items:
                at = item.taken_at.timestamp()
                if at >= judged_until:
                    continue
                when = week.liked.get(item.pk)
                in_time = when is not None and when - at < DAY
                per_target.setdefault(pk, []).append(in_time)
                kinds[item.kind is MediaKind.STORY].append(in_time)
    shares = sorted(100 * sum(ok) / len(ok) for ok in per_target.values())
    median = statistics.median(shares)
    return {
        "worst_share": shares[0],
        "median_share": median,
        "worst_over_median": shares[0] / median,
        "p5_share": shares[len(shares) // 20],
        "stories_in_time": 100 * sum(kinds[True]) / max(1, len(kinds[True])),
        "posts_in_24h": 100 * sum(kinds[False]) / max(1, len(kinds[False])),
    }


def main(argv: list[str]) -> None:
    """`[N] [SEED ...]`: one line per seed."""
    targets = int(argv[0]) if argv else 400
    for seed in [int(a) for a in argv[1:]] or [1]:
        figures = run(targets, seed)
        print(
            f"fair-model: N={targets} seed={seed} "
            + " ".join(f"{key}={value:.3g}" for key, value in figures.items())
        )


if __name__ == "__main__":
    main(sys.argv[1:])
