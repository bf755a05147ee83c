"""Public object ids in Stripe's style: a type prefix and a random base62 body."""

import secrets
import string

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_BODY_LENGTH = 24


def new_id(prefix: str) -> str:
    """A fresh id such as ``cus_9hQ2...``; ``prefix`` is given without the underscore."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH))
    return f"{prefix}_{body}"


def new_secret(prefix: str, length: int = 32) -> str:
    """A secret token (API keys, signing secrets): longer, never used as a lookup key in clear."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
