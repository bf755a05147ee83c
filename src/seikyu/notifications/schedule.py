"""When time-driven notices are due, and the timed work that sends them.

Event subscribers keep one ``ScheduledNotice`` per (kind, object) describing the occasion (a
trial's end, a period's end, a card's expiry month, an invoice's due date, the next digest
morning). The due instant is computed from the *current* settings:

| kind | due at |
|---|---|
| trial_ending | ``trial_end − trial_ending.days_before`` (at once if the trial is shorter) |
| upcoming_renewal | ``period_end − upcoming_renewal_days`` (‡), not before the period starts (†) |
| card_expiring | 09:00 (account time zone) on the first day of the card's expiry month |
| past_due_reminder | ``due_date + d`` for each ``d`` of ``past_due_reminders.days_after_due`` |
| overdue_digest | 09:00 every day while bank-transfer invoices are overdue |

(†) Plans of a year or more always; a plan of n months when the days ``≤ 30·n`` (so monthly
plans at 30 days or less); day and week plans never. (‡) The mode's billing setting, which times
``invoice.upcoming`` too: the email and the event come the same number of days ahead.

``next_due(clock)`` and ``run_due(now, clock, limit)`` are registered as timed work, so a test
clock stops at each of these instants and the worker runs them in real time. A notice whose
moment comes while its kind is switched off is skipped, not delayed.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from seikyu.account.models import AccountSettings
from seikyu.account.services import get_account_settings
from seikyu.billing.services.settings import billing_settings_for
from seikyu.db.rows import bulk_insert

from .models import Kind, ScheduledNotice

logger = logging.getLogger("seikyu.notifications")

# The local hour of morning notices (card expiry, the team's digest).
MORNING_HOUR = 9
# A batch that fails in real time is tried again this much later (the others go on).
FAILURE_RETRY = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

UNIQUE = ("kind", "object_id")

Processor = Callable[[list[ScheduledNotice], dt.datetime, AccountSettings], None]


# --------------------------------------------------------------------------- local time


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def next_morning(after: dt.datetime) -> dt.datetime:
    """The first 09:00 (local) strictly after ``after``."""
    local = after.astimezone(local_zone())
    morning = local.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning = (local + DAY).replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    return morning.astimezone(dt.UTC)


def expiry_notice_at(exp_year: int, exp_month: int) -> dt.datetime:
    """One month before the expiry month ends: its first day, at 09:00 local."""
    return dt.datetime(exp_year, exp_month, 1, MORNING_HOUR, tzinfo=local_zone()).astimezone(dt.UTC)


def expiry_month_end(exp_year: int, exp_month: int) -> dt.datetime:
    year, month = (exp_year + 1, 1) if exp_month == 12 else (exp_year, exp_month + 1)
    return dt.datetime(year, month, 1, tzinfo=local_zone()).astimezone(dt.UTC)


# --------------------------------------------------------------------------- keeping the rows


_SIGNATURE = ("occasion_at", "not_before", "period_months", "test_clock_id", "livemode", "data")


def reconcile(kinds: Collection[str], object_ids: Collection[str], wanted: Iterable[ScheduledNotice]) -> None:
    """Make the rows of ``kinds`` for ``object_ids`` what ``wanted`` says (a batch: three
    queries at most). A row whose occasion is unchanged stays as it is — done or not — so
    repeated events never schedule a notice twice; a changed one starts over."""
    if not object_ids:
        return
    want = {(row.kind, row.object_id): row for row in wanted}
    existing = ScheduledNotice.objects.filter(kind__in=kinds, object_id__in=object_ids)
    stale, keep = [], set()
    for pk, kind, object_id, *found in existing.values_list("pk", "kind", "object_id", *_SIGNATURE):
        target = want.get((kind, object_id))
        if target is not None and [getattr(target, name) for name in _SIGNATURE] == found:
            keep.add((kind, object_id))
        else:
            stale.append(pk)
    if stale:
        ScheduledNotice.objects.filter(pk__in=stale).delete()
    bulk_insert([row for key, row in want.items() if key not in keep], skip_existing=UNIQUE)


def add(rows: Sequence[ScheduledNotice]) -> None:
    """Schedule notices that are not scheduled yet (existing ones stay as they are)."""
    bulk_insert(rows, skip_existing=UNIQUE)


def forget(kinds: Collection[str], object_ids: Collection[str]) -> None:
    if object_ids:
        ScheduledNotice.objects.filter(kind__in=kinds, object_id__in=object_ids).delete()


# --------------------------------------------------------------------------- due times


@dataclass(frozen=True)
class Timing:
    """The settings due times are computed from: the account's email switches and days, and per
    mode (live or not) the days before a renewal, the billing setting ``upcoming_renewal_days``
    that times ``invoice.upcoming`` too, so the email and the event say the same."""

    account: AccountSettings
    renewal_days: Mapping[bool, int]


def current_timing() -> Timing:
    settings = billing_settings_for((False, True))
    return Timing(get_account_settings(), {mode: s.upcoming_renewal_days for mode, s in settings.items()})


def renewal_min_months(days_before: int) -> int:
    """The shortest plan (in months) reminded ``days_before`` days ahead: a yearly plan always,
    a monthly one when ``days_before ≤ 30``, an n-month one when ``days_before ≤ 30·n``."""
    return min(12, max(1, math.ceil(days_before / 30)))


def _offset(row_kind: str, step: int, account: AccountSettings) -> dt.timedelta | None:
    """How far a notice of any kind but the renewal (see ``due_at``) is from its occasion under
    the current settings (None: never due)."""
    if row_kind == Kind.TRIAL_ENDING:
        return -dt.timedelta(days=account.trial_ending_days)
    if row_kind == Kind.PAST_DUE_REMINDER:
        days = reminder_days(account)
        return dt.timedelta(days=days[step]) if step < len(days) else dt.timedelta(0)
    return dt.timedelta(0)


def reminder_days(account: AccountSettings) -> list[int]:
    return sorted({int(d) for d in account.past_due_reminder_days or []})


def due_at(row: ScheduledNotice, timing: Timing) -> dt.datetime | None:
    if row.kind == Kind.UPCOMING_RENEWAL:
        days = timing.renewal_days[row.livemode]
        if row.period_months < renewal_min_months(days):
            return None
        offset: dt.timedelta | None = -dt.timedelta(days=days)
    else:
        offset = _offset(row.kind, row.step, timing.account)
    if offset is None:
        return None
    at = row.occasion_at + offset
    return max(at, row.not_before) if row.not_before else at


def _due_filter(kind: str, now: dt.datetime, timing: Timing) -> Q:
    """Rows of ``kind`` due at ``now``, as an index-friendly filter on ``occasion_at``."""
    ready = Q(not_before__isnull=True) | Q(not_before__lte=now)
    if kind == Kind.PAST_DUE_REMINDER:
        days = reminder_days(timing.account)
        steps = Q(step__gte=len(days))
        for step, day in enumerate(days):
            steps |= Q(step=step, occasion_at__lte=now - dt.timedelta(days=day))
        return Q(kind=kind) & ready & steps
    if kind == Kind.UPCOMING_RENEWAL:
        by_mode = [
            Q(
                livemode=mode,
                occasion_at__lte=now + dt.timedelta(days=days),
                period_months__gte=renewal_min_months(days),
            )
            for mode, days in timing.renewal_days.items()
        ]
        return Q(kind=kind) & ready & reduce(operator.or_, by_mode)
    offset = _offset(kind, 0, timing.account) or dt.timedelta(0)
    return Q(kind=kind, occasion_at__lte=now - offset) & ready


def pending(test_clock_id: str | None) -> QuerySet[ScheduledNotice]:
    return ScheduledNotice.objects.filter(test_clock_id=test_clock_id, done_at__isnull=True)


def next_due(test_clock_id: str) -> dt.datetime | None:
    """The earliest instant a notice about the clock's objects is due (test clocks hold few rows)."""
    timing = current_timing()
    times = (due_at(row, timing) for row in pending(test_clock_id))
    return min((at for at in times if at is not None), default=None)


# --------------------------------------------------------------------------- running


def _processors() -> dict[str, Processor]:
    from . import notices

    return {
        Kind.TRIAL_ENDING: notices.trial_ending,
        Kind.UPCOMING_RENEWAL: notices.upcoming_renewal,
        Kind.CARD_EXPIRING: notices.card_expiring,
        Kind.PAST_DUE_REMINDER: notices.past_due_reminders,
        Kind.OVERDUE_DIGEST: notices.overdue_digest,
    }


def _claim(kind: str, now: dt.datetime, test_clock_id: str | None, limit: int, timing: Timing) -> list[ScheduledNotice]:
    rows = pending(test_clock_id).filter(_due_filter(kind, now, timing)).order_by("occasion_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows[:limit])


def run_due(now: dt.datetime, test_clock_id: str | None, limit: int) -> int:
    """Send (queue) one batch of the notices due at ``now`` for a test clock's objects (or for
    objects on no clock); returns how many notices were handled, 0 when none was due."""
    timing = current_timing()
    handled = 0
    for kind, process in _processors().items():
        if handled >= limit:
            break
        with transaction.atomic():
            rows = _claim(kind, now, test_clock_id, limit - handled, timing)
            if not rows:
                continue
            handled += len(rows)
            try:
                with transaction.atomic():
                    process(rows, now, timing.account)
            except Exception:
                if test_clock_id is not None:
                    raise  # the clock's advance reports it (internal_failure)
                logger.exception("%d %s notices failed; trying them again in %s", len(rows), kind, FAILURE_RETRY)
                ScheduledNotice.objects.filter(pk__in=[r.pk for r in rows]).update(not_before=now + FAILURE_RETRY)
    return handled


def finish(rows: Sequence[ScheduledNotice], now: dt.datetime) -> None:
    """Mark notices done (sent or skipped)."""
    if rows:
        ScheduledNotice.objects.filter(pk__in=[r.pk for r in rows]).update(done_at=now)
