"""Public object ids in Stripe's style: a type prefix, then a time-ordered random body.

The body is 10 base36 characters of a per-process strictly increasing microsecond count followed
by 14 random base36 characters. Ids made later sort after ids made earlier (within a process,
always; across processes, to the microsecond), so objects written together — the events of one
change, the invoices of one bill-run batch — list in the order they were made, even when they share
a ``created`` second. Only digits and lowercase letters are used, so the database's collation
orders them the same way as bytes do.
"""

import secrets
import string
import threading
import time

_BASE36 = string.digits + string.ascii_lowercase
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_TIME_WIDTH = 10  # base36 microseconds since the epoch: enough until the year 5000
_RANDOM_WIDTH = 14  # about 72 bits

_lock = threading.Lock()
_last_micros = 0


def _next_micros() -> int:
    global _last_micros
    with _lock:
        _last_micros = max(_last_micros + 1, time.time_ns() // 1000)
        return _last_micros


def _base36(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, rest = divmod(value, 36)
        digits.append(_BASE36[rest])
    return "".join(reversed(digits))


def new_id(prefix: str) -> str:
    """A fresh id such as ``cus_0l8k2xq1ab…``; ``prefix`` is given without the underscore."""
    body = _base36(_next_micros(), _TIME_WIDTH) + "".join(secrets.choice(_BASE36) for _ in range(_RANDOM_WIDTH))
    return f"{prefix}_{body}"


def new_secret(prefix: str, length: int = 32) -> str:
    """A secret token (API keys, signing secrets): random only, never ordered."""
    return f"{prefix}_" + "".join(secrets.choice(_BASE62) for _ in range(length))
