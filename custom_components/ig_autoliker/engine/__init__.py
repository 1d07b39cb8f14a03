"""The liking engine: the spec's building blocks, free of Home Assistant.

Nothing here imports `homeassistant` or the integration's `const.py` (a test
enforces it): time comes from an injected clock, waits from an injected `sleep`, and
blocking instagrapi calls run through an injected executor. The Home Assistant glue
(`coordinator.py` and the platforms) turns what the engine reports into entities,
events and repair issues.

    client.py     InstagramClient: the only module that imports instagrapi (blocking)
    login.py      LoginFlow: password, saved session, two-factor, checkpoint, relogin
    two_factor.py finishes a two-factor login on the first attempt's answer
    classify.py   instagrapi's failures -> our exceptions
    models.py, exceptions.py, events.py (what the engine reports to its listener)
    ratelimit.py  RateLimiter: sliding windows, jitter, backoff (spec 8.2, 8.5),
                  composing windows.py (SlidingWindows) and backoff.py (Backoff)
    safety.py     SafetyPolicy: freezes, warm-up, active hours; `refusal()` is the gate
    planner.py    which feed or like next, within the limits
    session.py    SessionManager: login, relogin, keep-alive, request accounting
    pacer.py      request budget, pauses, network retry, one relogin, throttle
    media.py      MediaService (Story/PostService): feeds, baseline, like, record
    engine.py     Engine: a cycle, a new-target check, keep-alive
    state.py      account and target state, the liked ledger (CleanupService: purge)
    history.py    the like history of older posts (SQLite)
    clock.py      HOUR, DAY, the injected `Clock` (Unix seconds) and `Sleep`
"""
