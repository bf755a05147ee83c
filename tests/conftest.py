"""Shared fixtures. The suite runs against SQLite by default and PostgreSQL when DATABASE_URL is set.

``seikyu_server`` is a real Seikyu (web + worker subprocesses) on loopback with its own database,
shared by the whole session; ``stripe_sdk`` and ``stripe_client`` point the official SDK at it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
import stripe

from live_server import LiveServer, start_live_server


@pytest.fixture(scope="session")
def seikyu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(Path(tmp_path_factory.mktemp("seikyu_server"))) as server:
        yield server


@pytest.fixture
def stripe_sdk(seikyu_server: LiveServer) -> Iterator[None]:
    """The SDK's module-level configuration, as an integrator sets it, restored afterwards."""
    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
    stripe.api_base = seikyu_server.base_url
    stripe.api_key = seikyu_server.secret_key
    stripe.max_network_retries = 2
    yield
    stripe.api_base, stripe.api_key, stripe.max_network_retries = saved


@pytest.fixture
def stripe_client(seikyu_server: LiveServer) -> stripe.StripeClient:
    base = seikyu_server.base_url
    return stripe.StripeClient(
        seikyu_server.secret_key, base_addresses={"api": base, "files": base}, max_network_retries=2
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test that used the live server gets the server's logs in its report."""
    report = yield
    server = getattr(item, "funcargs", {}).get("seikyu_server")
    if report.failed and isinstance(server, LiveServer):
        report.sections.append(("seikyu server logs", server.logs()))
    return report
