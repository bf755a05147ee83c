from collections.abc import Iterator

import pytest

from api_support import api, live_api

from .receiver import Receiver

__all__ = ["api", "live_api"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.let_go()
    server.down()
