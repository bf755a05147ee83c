"""``seikyu settings``: show and change the account settings, upload the logo.

    seikyu settings show [--json]
    seikyu settings set business.registration_number=T7000012050002 branding.brand_color=#1F3A5F
    seikyu settings set customer_emails.past_due_reminders.days_after_due=1,7,14
    seikyu settings set support.phone=          (an empty value resets a setting)
    seikyu settings logo ./logo.png

Names are the ``account_settings`` object's paths with dots; list settings take commas.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

LIST_SETTINGS = ("alert_recipients", "customer_emails.past_due_reminders.days_after_due")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``settings show|set|logo``; the parsed namespace's ``handler(args) -> int`` runs it."""
    settings = subparsers.add_parser("settings", help="show or change the account settings")
    commands = settings.add_subparsers(dest="settings_command", required=True, metavar="SETTINGS_COMMAND")
    show = commands.add_parser("show", help="print every setting (NAME = VALUE)")
    show.add_argument("--json", action="store_true", help="print the account_settings object as JSON")
    show.set_defaults(handler=_show)
    change = commands.add_parser("set", help="change settings: NAME=VALUE … (empty VALUE resets)")
    change.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    change.set_defaults(handler=_set)
    logo = commands.add_parser("logo", help="upload a PNG, JPEG or SVG and use it as the logo")
    logo.add_argument("path", type=Path)
    logo.set_defaults(handler=_logo)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flatten(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), value)]


def _printable(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _show(args: argparse.Namespace) -> int:
    from seikyu.account.render import render_account_settings
    from seikyu.account.services import get_account_settings

    rendered = render_account_settings(get_account_settings())
    if args.json:
        print(json.dumps(rendered, ensure_ascii=False, indent=2))
        return 0
    for name, value in _flatten({k: v for k, v in rendered.items() if k not in ("object", "updated")}):
        print(f"{name} = {_printable(value)}")
    return 0


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """``a.b=v`` pairs as the nested update the service takes (``""`` → ``None``, lists split on commas;
    an address is given as JSON)."""
    update: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep or not name:
            raise ValueError(f"expected NAME=VALUE, got {assignment!r}")
        value: Any = raw if raw != "" else None
        if value is not None and name in LIST_SETTINGS:
            value = [item.strip() for item in raw.split(",") if item.strip()]
        elif value is not None and raw.lstrip().startswith("{"):
            value = json.loads(raw)
        node = update
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return update


def _set(args: argparse.Namespace) -> int:
    from seikyu.account.services import update_account_settings
    from seikyu.core.errors import SeikyuError

    try:
        update_account_settings(parse_assignments(args.assignments))
    except (ValueError, SeikyuError) as exc:
        where = f" ({_dotted(exc.param)})" if isinstance(exc, SeikyuError) and exc.param else ""
        print(f"seikyu: {getattr(exc, 'message', exc)}{where}", file=sys.stderr)
        return 1
    print("Settings saved.")
    return 0


def _dotted(param: str) -> str:
    return param.replace("][", ".").replace("[", ".").rstrip("]")


def _logo(args: argparse.Namespace) -> int:
    from seikyu.account.services import create_file, update_account_settings
    from seikyu.core.errors import SeikyuError

    try:
        content = args.path.read_bytes()
        file = create_file(purpose="business_logo", filename=args.path.name, content=content, livemode=False)
        update_account_settings({"branding": {"logo": file.id}})
    except OSError as exc:
        print(f"seikyu: cannot read {args.path}: {exc.strerror}", file=sys.stderr)
        return 1
    except SeikyuError as exc:
        print(f"seikyu: {exc.message}", file=sys.stderr)
        return 1
    print(f"Logo uploaded as {file.id} ({file.type}, {file.size:,} bytes) and set as the account's logo.")
    return 0
