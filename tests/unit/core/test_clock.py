import datetime as dt
import zoneinfo

from seikyu.core import clock
from seikyu.core.clock import from_unix, to_unix

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_unix_seconds_are_the_instants_whatever_their_zone():
    at = dt.datetime(2026, 3, 1, 0, 0, 59, 999_999, tzinfo=dt.UTC)
    assert to_unix(at) == 1772323259
    assert to_unix(at.astimezone(TOKYO)) == 1772323259
    assert to_unix(dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC)) == -1
    assert to_unix(None) is None
    assert from_unix(1772323259) == at.replace(microsecond=0)


def test_instants_converted_before_convert_alike_when_the_remembered_ones_are_forgotten(monkeypatch):
    monkeypatch.setattr(clock, "_UNIX_SECONDS_KEPT", 3)
    monkeypatch.setattr(clock, "_unix_seconds", {})
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(seconds=n) for n in range(10)]
    first = [to_unix(at) for at in instants]
    again = [to_unix(at) for at in reversed(instants)]
    assert first == list(range(1767225600, 1767225610))
    assert again == first[::-1]
    assert len(clock._unix_seconds) <= 3
