"""Fan-out: every committed event becomes one ``Delivery`` per matching enabled endpoint, once.

Events are read in id order after a persisted cursor. Ids are time-ordered, but a transaction can
commit an event whose id is lower than the cursor's (it made the id, then committed after a newer
event was already read). Those *stragglers* are caught by a second, exact pass: every so often the
cursor is recorded as a mark; once every transaction that could still commit an event at or below
the mark has ended, the range up to the mark is re-read once, and events in it that match an
endpoint but have no delivery yet are fanned out. The range is then ``safe`` and never read again.

"Every transaction that could still commit an event below the mark has ended" is decided as
follows. A transaction that made an event id before the mark was taken writes that event within
``GRACE`` (``emit_many`` inserts right after making the ids; SQLite's busy timeout bounds the wait
for its write lock). So once a mark is ``GRACE`` old, such a transaction has written, and on
PostgreSQL holds a transaction id below ``pg_snapshot_xmax`` read at that moment; the mark is safe
once the oldest running transaction (``pg_snapshot_xmin``) is past that value. On SQLite writers
are serialized, so a mark is safe once it is ``GRACE`` old.

Fan-out runs in one worker at a time (the state row is locked; others skip), so the delivery
unique key (event, endpoint) is never raced; it still guarantees exactly-once if that were broken.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from seikyu.core.clock import real_now
from seikyu.core.ids import new_id
from seikyu.events.models import Event

from .event_types import ALL, matches
from .models import Delivery, FanOutState, WebhookEndpoint
from .pending import adjust_pending_webhooks

GRACE = dt.timedelta(seconds=60)
MARK_EVERY = dt.timedelta(seconds=1)
STATE_NAME = "events"

EventRow = tuple[str, str, bool]  # id, type, livemode


@dataclass(frozen=True)
class _Horizon:
    oldest_running: int  # pg_snapshot_xmin: every transaction id below it has ended
    next_id: int  # pg_snapshot_xmax: every transaction running now has an id below it


def _id_body(object_id: str) -> str:
    return object_id.partition("_")[2]


def _first_event_id_after(endpoint: WebhookEndpoint) -> str:
    """Events whose id sorts after this were made after the endpoint was: the only ones it gets."""
    return f"evt_{_id_body(endpoint.id)}"


def fan_out_events(limit: int = 1000, *, now: dt.datetime | None = None) -> int:
    """Fan out up to ``limit`` new events (plus any stragglers found); returns the events handled."""
    now = now or real_now()
    FanOutState.objects.get_or_create(name=STATE_NAME)
    with transaction.atomic():
        state = _lock_state()
        if state is None:
            return 0  # another worker is fanning out right now
        before = (state.cursor, state.safe, repr(state.marks))
        endpoints = list(WebhookEndpoint.objects.filter(status=WebhookEndpoint.Status.ENABLED))
        handled = 0
        new_safe = _settle_marks(state, now, _horizon())
        if new_safe > state.safe:
            if endpoints:
                handled += _fan_out(_stragglers(state.safe, new_safe, endpoints), endpoints, now)
            state.safe = new_safe
        if endpoints:
            new = Event.objects.filter(id__gt=state.cursor).order_by("id")
            rows = list(new.values_list("id", "type", "livemode")[:limit])
            handled += _fan_out(rows, endpoints, now)
            if rows:
                state.cursor = rows[-1][0]
        else:
            # Nobody listens: skip ahead. Endpoints made later never get earlier events anyway.
            latest = Event.objects.filter(id__gt=state.cursor).order_by("-id").values_list("id", flat=True).first()
            state.cursor = latest or state.cursor
        _add_mark(state, now)
        if (state.cursor, state.safe, repr(state.marks)) != before:
            state.save()
        return handled


def _lock_state() -> FanOutState | None:
    query = FanOutState.objects.filter(name=STATE_NAME)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return query.first()


def _horizon() -> _Horizon | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint FROM pg_current_snapshot() s"
        )
        oldest, next_id = cursor.fetchone()
    return _Horizon(oldest, next_id)


def _settle_marks(state: FanOutState, now: dt.datetime, horizon: _Horizon | None) -> str:
    """Drop the marks that became safe; returns the new safe id."""
    safe = state.safe
    marks: list[list[object]] = state.marks
    while marks:
        high, at, xmax = marks[0]
        if xmax is None:
            if now - dt.datetime.fromisoformat(str(at)) < GRACE:
                break
            xmax = horizon.next_id if horizon else 0
            marks[0][2] = xmax
        if horizon is not None and horizon.oldest_running < int(str(xmax)):
            break
        safe = max(safe, str(high))
        marks.pop(0)
    return safe


def _add_mark(state: FanOutState, now: dt.datetime) -> None:
    last_high = str(state.marks[-1][0]) if state.marks else state.safe
    if state.cursor <= last_high:
        return
    if state.marks and now - dt.datetime.fromisoformat(str(state.marks[-1][1])) < MARK_EVERY:
        return
    state.marks.append([state.cursor, now.isoformat(), None])


def _stragglers(after: str, upto: str, endpoints: Sequence[WebhookEndpoint]) -> list[EventRow]:
    """Events in ``(after, upto]`` that some endpoint should get and that have no delivery."""
    wanted = []
    for endpoint in endpoints:
        q = Q(livemode=endpoint.livemode, id__gt=_first_event_id_after(endpoint))
        if ALL not in endpoint.enabled_events:
            q &= Q(type__in=endpoint.enabled_events)
        wanted.append(q)
    query = (
        Event.objects.filter(id__gt=after, id__lte=upto)
        .filter(reduce(operator.or_, wanted))
        .filter(~Exists(Delivery.objects.filter(event_id=OuterRef("id"))))
        .order_by("id")
    )
    return list(query.values_list("id", "type", "livemode"))


def _fan_out(rows: Iterable[EventRow], endpoints: Sequence[WebhookEndpoint], now: dt.datetime) -> int:
    deliveries = []
    per_event: Counter[str] = Counter()
    handled = 0
    listening = [(endpoint, _first_event_id_after(endpoint)) for endpoint in endpoints]
    for event_id, event_type, livemode in rows:
        handled += 1
        for endpoint, first_id in listening:
            if endpoint.livemode == livemode and event_id > first_id and matches(endpoint.enabled_events, event_type):
                deliveries.append(
                    Delivery(
                        id=new_id("whdel"),
                        livemode=livemode,
                        created=now,
                        endpoint_id=endpoint.id,
                        event_id=event_id,
                        event_type=event_type,
                        next_attempt_at=now,
                    )
                )
                per_event[event_id] += 1
    Delivery.objects.bulk_create(deliveries)
    adjust_pending_webhooks(per_event)
    return handled
