"""Background tasks of the billing engine (Django's Tasks API, run by the worker)."""

from __future__ import annotations

from django.tasks import task


@task()
def advance_clock(clock_id: str) -> None:
    """Step a test clock to its advance target (see ``services.test_clocks``)."""
    from .services.test_clocks import run_advance

    run_advance(clock_id)
