"""``seikyu settings``: show and change the account settings, upload the logo, and show and
change the billing settings of a mode.

    seikyu settings show [--json]
    seikyu settings set business.registration_number=T7000012050002 branding.brand_color=#1F3A5F
    seikyu settings set customer_emails.past_due_reminders.days_after_due=1,7,14
    seikyu settings set support.phone=          (an empty value resets a setting)
    seikyu settings logo ./logo.png
    seikyu settings billing show --mode live [--json]
    seikyu settings billing set --mode live dunning.retry_schedule_days=2,5,7 invoices.numbering=account

Names are the ``account_settings`` (or ``billing_settings``) object's paths with dots; list
settings take commas.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIST_SETTINGS = ("alert_recipients", "customer_emails.past_due_reminders.days_after_due")
BILLING_LIST_SETTINGS = ("dunning.retry_schedule_days",)


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
    billing = commands.add_parser("billing", help="show or change the billing settings of a mode").add_subparsers(
        dest="billing_command", required=True, metavar="BILLING_COMMAND"
    )
    billing_show = billing.add_parser("show", help="print every billing setting of the mode (NAME = VALUE)")
    billing_show.add_argument("--json", action="store_true", help="print the billing_settings object as JSON")
    billing_set = billing.add_parser("set", help="change billing settings: NAME=VALUE … (empty VALUE resets)")
    billing_set.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    for command, handler in ((billing_show, _billing_show), (billing_set, _billing_set)):
        command.add_argument("--mode", choices=["test", "live"], required=True, help="test and live are set apart")
        command.set_defaults(handler=handler)


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


def _print(rendered: dict[str, Any], *, as_json: bool, meta: tuple[str, ...]) -> int:
    """The settings object as JSON, or one ``NAME = VALUE`` line per setting (``meta`` left out)."""
    if as_json:
        print(json.dumps(rendered, ensure_ascii=False, indent=2))
        return 0
    for name, value in _flatten({k: v for k, v in rendered.items() if k not in meta}):
        print(f"{name} = {_printable(value)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from seikyu.account.render import render_account_settings
    from seikyu.account.services import get_account_settings

    return _print(render_account_settings(get_account_settings()), as_json=args.json, meta=("object", "updated"))


def _billing_show(args: argparse.Namespace) -> int:
    from seikyu.billing.render.settings import render_billing_settings
    from seikyu.billing.services.settings import get_billing_settings

    rendered = render_billing_settings(get_billing_settings(args.mode == "live"))
    return _print(rendered, as_json=args.json, meta=("object", "livemode"))


def parse_assignments(assignments: list[str], lists: tuple[str, ...] = LIST_SETTINGS) -> dict[str, Any]:
    """``a.b=v`` pairs as the nested update the service takes (``""`` → ``None``, the ``lists``
    settings split on commas; an address is given as JSON)."""
    update: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep or not name:
            raise ValueError(f"expected NAME=VALUE, got {assignment!r}")
        value: Any = raw if raw != "" else None
        if value is not None and name in lists:
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

    return _save(lambda: update_account_settings(parse_assignments(args.assignments)))


def _billing_set(args: argparse.Namespace) -> int:
    from seikyu.billing.services.settings import update_billing_settings

    livemode = args.mode == "live"
    return _save(
        lambda: update_billing_settings(parse_assignments(args.assignments, BILLING_LIST_SETTINGS), livemode=livemode)
    )


def _save(update: Callable[[], object]) -> int:
    from seikyu.core.errors import SeikyuError

    try:
        update()
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
