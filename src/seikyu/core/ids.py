"""Public object ids in Stripe's style: a type prefix, then a time-ordered random body.

The body is 10 base36 characters of a per-process strictly increasing microsecond count followed
by 14 random base36 characters. Ids made later sort after ids made earlier (within a process,
always; across processes, to the microsecond), so objects written together — the events of one
change, the invoices of one bill-run batch — list in the order they were made, even when they share
a ``created`` second. Only digits and lowercase letters are used, so the database's collation
orders them the same way as bytes do.

The bill run makes tens of thousands of ids a second, so the random characters are cut from a
buffer of the system's random bytes (each byte below 252 gives one uniformly random base36
character; the others are dropped) and the time is spelled from a table of digit pairs.
"""

import os
import secrets
import string
import threading
import time

_BASE36 = string.digits + string.ascii_lowercase
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_TIME_WIDTH = 10  # base36 microseconds since the epoch: enough until the year 5000
_RANDOM_WIDTH = 14  # about 72 bits
# Byte b < 252 stands for base36 digit b % 36 (252 = 7 × 36, so every digit is equally likely).
_TO_BASE36 = "".join(_BASE36[b % 36] if b < 252 else "-" for b in range(256)).encode()
_UNUSABLE = bytes(range(252, 256))
_REFILL_BYTES = 4096
# "00", "01", … "zz": every pair of base36 digits, indexed by its value.
_PAIRS = [a + b for a in _BASE36 for b in _BASE36]
_PAIR = 36 * 36

_lock = threading.Lock()
_last_micros = 0
_random = ""  # unused random base36 characters start at _taken
_taken = 0
# The time part's leading 6 digits change only every ~35 minutes: spelled once for a while.
_high: tuple[int, str] = (-1, "")


def _time_part(micros: int) -> str:
    global _high
    high, low = divmod(micros, _PAIR**2)
    if high != _high[0]:
        high_rest, pair3 = divmod(high, _PAIR)
        pair1, pair2 = divmod(high_rest, _PAIR)
        _high = (high, _PAIRS[pair1] + _PAIRS[pair2] + _PAIRS[pair3])
    pair4, pair5 = divmod(low, _PAIR)
    return _high[1] + _PAIRS[pair4] + _PAIRS[pair5]


def _forget_random() -> None:
    # A forked worker must not reuse its parent's buffer: both would make the same ids.
    global _random, _taken
    _random, _taken = "", 0


os.register_at_fork(after_in_child=_forget_random)


def new_id(prefix: str) -> str:
    """A fresh id such as ``cus_0l8k2xq1ab…``; ``prefix`` is given without the underscore."""
    global _last_micros, _random, _taken
    with _lock:
        _last_micros = max(_last_micros + 1, time.time_ns() // 1000)
        if _taken + _RANDOM_WIDTH > len(_random):
            _random = secrets.token_bytes(_REFILL_BYTES).translate(_TO_BASE36, _UNUSABLE).decode()
            _taken = 0
        body = _time_part(_last_micros) + _random[_taken : _taken + _RANDOM_WIDTH]
        _taken += _RANDOM_WIDTH
    return f"{prefix}_{body}"


def new_secret(prefix: str, length: int = 32) -> str:
    """A secret token (API keys, signing secrets): random only, never ordered."""
    value = secrets.randbelow(62**length)
    chars = []
    for _ in range(length):
        value, rest = divmod(value, 62)
        chars.append(_BASE62[rest])
    return f"{prefix}_" + "".join(chars)
