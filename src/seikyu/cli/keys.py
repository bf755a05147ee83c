"""``seikyu keys``: create, list and revoke API secret keys; the test key ``seikyu run`` remembers."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from django.utils import timezone

from seikyu.api.models import ApiKey
from seikyu.api.services import create_api_key, find_api_key, revoke_api_key
from seikyu.core.errors import ResourceMissing

# Where ``seikyu run`` keeps its test key, so every run prints the same one.
RUN_KEY_FILE = "run_test_secret_key"


def create(*, livemode: bool, name: str, quiet: bool) -> int:
    key, secret = create_api_key(livemode=livemode, name=name)
    if quiet:
        print(secret)
        return 0
    mode = "live" if livemode else "test"
    print(f"Created {mode} key {key.id}{f' ({name})' if name else ''}. It is shown only this once:")
    print(secret)
    return 0


def list_keys() -> int:
    rows = [("ID", "MODE", "KEY", "NAME", "CREATED", "LAST USED", "STATUS")]
    for key in ApiKey.objects.order_by("-created", "-id"):
        rows.append(
            (
                key.id,
                "live" if key.livemode else "test",
                key.redacted,
                key.name,
                _when(key.created),
                _when(key.last_used_at) or "never",
                "revoked" if key.revoked_at else "active",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def revoke(key_id: str) -> int:
    try:
        key = revoke_api_key(key_id)
    except ResourceMissing as exc:
        print(f"seikyu: {exc.message}", file=sys.stderr)
        return 1
    print(f"Revoked {key.id} ({key.redacted})")
    return 0


def remembered_test_key(data_dir: Path) -> tuple[str, bool]:
    """The test secret key for ``seikyu run`` and whether it was just created.

    The key is kept in the data directory and reused while it still authenticates against the
    current database; after a database reset or a revoke a new one is made and remembered.
    """
    path = data_dir / RUN_KEY_FILE
    if path.exists():
        secret = path.read_text().strip()
        if secret.startswith("sk_test_") and find_api_key(secret) is not None:
            return secret, False
    _key, secret = create_api_key(livemode=False, name="seikyu run")
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    return secret, True


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
