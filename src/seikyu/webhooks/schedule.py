"""When a failed delivery is tried again, when it is given up, and when an endpoint is disabled.

Live mode: retry ``n`` waits ``min(1 min × 5^(n-1), 12 h)`` (1 min, 5 min, 25 min, ~2 h, ~10 h,
then every 12 h), each ±10 % jitter, and no attempt is scheduled later than 3 days after the first
one: the last retry happens at that deadline, about 11 attempts in all.
Test mode: 3 retries, after ~10 min, ~1 h and ~3 h (±10 %): 4 attempts over about 4 hours.

An endpoint is disabled when no attempt to it has succeeded for 3 days while attempts kept failing,
or when ``GIVE_UPS_BEFORE_DISABLING`` deliveries in a row were given up.
"""

from __future__ import annotations

import datetime as dt
import random

LIVE_FIRST_RETRY = dt.timedelta(minutes=1)
LIVE_GROWTH = 5
LIVE_MAX_WAIT = dt.timedelta(hours=12)
LIVE_RETRY_WINDOW = dt.timedelta(days=3)
TEST_RETRIES = (dt.timedelta(minutes=10), dt.timedelta(hours=1), dt.timedelta(hours=3))
JITTER = 0.1

FAILING_BEFORE_DISABLING = dt.timedelta(days=3)
GIVE_UPS_BEFORE_DISABLING = 5

_rng = random.SystemRandom()


def _jittered(wait: dt.timedelta) -> dt.timedelta:
    return wait * _rng.uniform(1 - JITTER, 1 + JITTER)


def next_attempt_after_failure(
    *, livemode: bool, attempts_made: int, first_attempt_at: dt.datetime, now: dt.datetime
) -> dt.datetime | None:
    """When to try again after the ``attempts_made``-th attempt failed at ``now``; ``None``: give up."""
    retry = attempts_made  # the first retry follows the first attempt
    if not livemode:
        if retry > len(TEST_RETRIES):
            return None
        return now + _jittered(TEST_RETRIES[retry - 1])
    deadline = first_attempt_at + LIVE_RETRY_WINDOW
    if now >= deadline:
        return None
    wait = min(LIVE_FIRST_RETRY * LIVE_GROWTH ** min(retry - 1, 10), LIVE_MAX_WAIT)
    return min(now + _jittered(wait), deadline)


def should_disable(*, failing_since: dt.datetime | None, deliveries_given_up: int, now: dt.datetime) -> bool:
    if deliveries_given_up >= GIVE_UPS_BEFORE_DISABLING:
        return True
    return failing_since is not None and now - failing_since >= FAILING_BEFORE_DISABLING
