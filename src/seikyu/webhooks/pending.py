"""``Event.pending_webhooks``: how many of an event's deliveries have not (yet) got a 2xx."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from django.db import connection
from django.db.models import F

from seikyu.events.models import Event


def adjust_pending_webhooks(deltas: Mapping[str, int]) -> None:
    """Add ``delta`` to each event's counter: one UPDATE per distinct delta. Rows are locked in id
    order first, so concurrent workers touching overlapping events cannot deadlock."""
    changes = {event_id: delta for event_id, delta in deltas.items() if delta}
    if not changes:
        return
    if connection.features.has_select_for_update:
        list(
            Event.objects.select_for_update(no_key=True)
            .filter(id__in=sorted(changes))
            .order_by("id")
            .values_list("id", flat=True)
        )
    by_delta: dict[int, list[str]] = defaultdict(list)
    for event_id, delta in changes.items():
        by_delta[delta].append(event_id)
    for delta, event_ids in by_delta.items():
        Event.objects.filter(id__in=event_ids).update(pending_webhooks=F("pending_webhooks") + delta)
