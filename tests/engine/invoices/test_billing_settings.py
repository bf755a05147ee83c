"""The billing settings through ``/v1/billing_settings`` and ``seikyu settings billing``: one object
per mode, every check with its ``param`` (nothing changed on error), and the engine using what was
set — the retry schedule and its end, account-wide numbering."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from api_support import ApiClient, api_key
from seikyu.billing.models import BillingSettings
from seikyu.billing.services.invoices import finalize_invoice, process_due_invoices
from seikyu.billing.services.settings import get_billing_settings
from seikyu.cli import account as cli

from .conftest import DAY, NOW

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def api(db: None) -> ApiClient:
    return ApiClient(api_key())


def test_each_mode_has_its_settings_with_stripes_defaults(api):
    body = api.ok("GET", "/v1/billing_settings")
    assert body == {
        "object": "billing_settings",
        "livemode": False,
        "tax_rounding": "down",
        "invoices": {
            "draft_window_seconds": 3600,
            "numbering": "customer",
            "account_prefix": "INV",
            "next_account_sequence": 1,
        },
        "dunning": {
            "retry_schedule_days": [1, 3, 5, 7],
            "subscription_after_retries": "cancel",
            "invoice_after_retries": "uncollectible",
            "send_invoice_overdue_days": 30,
        },
        "upcoming_renewal_days": 7,
    }
    api.ok("POST", "/v1/billing_settings", {"tax_rounding": "half_up", "upcoming_renewal_days": 14})
    live = ApiClient(api_key(livemode=True)).ok("GET", "/v1/billing_settings")
    assert (live["livemode"], live["tax_rounding"], live["upcoming_renewal_days"]) == (True, "down", 7)
    assert get_billing_settings(False).tax_rounding == "half_up"


def test_the_retry_schedule_and_its_end_are_what_was_set(api, make_customer, make_invoice):
    changed = api.ok(
        "POST",
        "/v1/billing_settings",
        {"dunning": {"retry_schedule_days": [2, 4], "invoice_after_retries": "open"}},
    )
    assert changed["dunning"]["retry_schedule_days"] == [2, 4]
    invoice = make_invoice(make_customer(card="pm_card_chargeCustomerFail"), [(1000, [])], auto_advance=True)

    first = NOW + HOUR  # the draft window, then the first attempt
    process_due_invoices(now=first, test_clock_id=None, limit=10)
    invoice.refresh_from_db()
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (1, first + 2 * DAY)
    process_due_invoices(now=first + 2 * DAY, test_clock_id=None, limit=10)
    invoice.refresh_from_db()
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (2, first + 6 * DAY)
    process_due_invoices(now=first + 6 * DAY, test_clock_id=None, limit=10)
    invoice.refresh_from_db()
    # The schedule is used up and the invoice stays open, as set (the default writes it off).
    assert (invoice.attempt_count, invoice.next_payment_attempt, invoice.status) == (3, None, "open")


def test_account_wide_numbering_as_set_and_never_a_number_twice(api, make_customer, make_invoice):
    def issued() -> str | None:
        return finalize_invoice(make_invoice(make_customer(), [(1000, [])])).number

    changed = api.ok(
        "POST",
        "/v1/billing_settings",
        {"invoices": {"numbering": "account", "account_prefix": " seikyu ", "next_account_sequence": 42}},
    )
    assert changed["invoices"] == {
        "draft_window_seconds": 3600,
        "numbering": "account",
        "account_prefix": "SEIKYU",
        "next_account_sequence": 42,
    }
    numbers = [issued() for _ in range(2)]
    assert numbers == ["SEIKYU-0042", "SEIKYU-0043"]

    error = api.post("/v1/billing_settings", {"invoices": {"next_account_sequence": 43}}).error
    assert error["param"] == "invoices[next_account_sequence]" and "SEIKYU-0043" in error["message"]
    assert api.ok("GET", "/v1/billing_settings")["invoices"]["next_account_sequence"] == 44
    # A prefix of its own starts wherever it likes.
    api.ok("POST", "/v1/billing_settings", {"invoices": {"account_prefix": "SKT", "next_account_sequence": 1}})
    assert issued() == "SKT-0001"


@pytest.mark.parametrize(
    ("update", "param"),
    [
        ({"dunning": {"retry_schedule_days": [2, 0]}}, "dunning[retry_schedule_days][1]"),
        ({"dunning": {"retry_schedule_days": [1] * 9}}, "dunning[retry_schedule_days]"),
        ({"dunning": {"subscription_after_retries": "delete"}}, "dunning[subscription_after_retries]"),
        ({"dunning": {"send_invoice_overdue_days": "soon"}}, "dunning[send_invoice_overdue_days]"),
        ({"invoices": {"numbering": "monthly"}}, "invoices[numbering]"),
        ({"invoices": {"account_prefix": "INV-2026"}}, "invoices[account_prefix]"),
        ({"invoices": {"draft_window_seconds": 4 * 24 * 3600}}, "invoices[draft_window_seconds]"),
        ({"invoices": {"next_account_sequence": 0}}, "invoices[next_account_sequence]"),
        ({"invoices": {"colour": "blue"}}, "invoices[colour]"),
        ({"tax_rounding": "nearest"}, "tax_rounding"),
        ({"upcoming_renewal_days": 0}, "upcoming_renewal_days"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter_and_change_nothing(api, update, param):
    before = list(BillingSettings.objects.filter(livemode=False).values())
    response = api.post("/v1/billing_settings", {"tax_rounding": "up", "upcoming_renewal_days": 3, **update})
    assert (response.status, response.error["type"], response.error["param"]) == (400, "invalid_request_error", param)
    assert list(BillingSettings.objects.filter(livemode=False).values()) == before


def test_never_ending_overdue_invoices_and_resetting_to_the_default(api, make_customer, make_invoice):
    never = api.ok("POST", "/v1/billing_settings", {"dunning": {"send_invoice_overdue_days": "never"}})
    assert never["dunning"]["send_invoice_overdue_days"] == "never"
    invoice = make_invoice(make_customer(), [(1000, [])], collection_method="send_invoice", days_until_due=10)
    invoice = finalize_invoice(invoice)
    process_due_invoices(now=NOW + 10 * DAY, test_clock_id=None, limit=10)  # overdue: nothing follows
    invoice.refresh_from_db()
    assert (invoice.status, invoice.next_action_at) == ("open", None)

    reset = api.ok("POST", "/v1/billing_settings", {"dunning": ""})["dunning"]
    assert reset == {
        "retry_schedule_days": [1, 3, 5, 7],
        "subscription_after_retries": "cancel",
        "invoice_after_retries": "uncollectible",
        "send_invoice_overdue_days": 30,
    }


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="seikyu")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_command_line_show_and_set_per_mode(db, capsys):
    assert (
        run_cli(
            "settings",
            "billing",
            "set",
            "--mode",
            "live",
            "dunning.retry_schedule_days=2,5",
            "dunning.send_invoice_overdue_days=never",
            "invoices.numbering=account",
        )
        == 0
    )
    live, test = get_billing_settings(True), get_billing_settings(False)
    assert (live.retry_schedule_days, live.send_invoice_overdue_days, live.invoice_numbering) == (
        [2, 5],
        None,
        "account",
    )
    assert (test.retry_schedule_days, test.invoice_numbering) == ([1, 3, 5, 7], "customer")

    capsys.readouterr()
    assert run_cli("settings", "billing", "show", "--mode", "live") == 0
    shown = capsys.readouterr().out.splitlines()
    for line in (
        "dunning.retry_schedule_days = 2,5",
        "dunning.send_invoice_overdue_days = never",
        "invoices.numbering = account",
        "upcoming_renewal_days = 7",
    ):
        assert line in shown, line

    assert run_cli("settings", "billing", "set", "--mode", "live", "dunning.retry_schedule_days=3,x") == 1
    assert "(dunning.retry_schedule_days.1)" in capsys.readouterr().err
    assert run_cli("settings", "billing", "set", "--mode", "live", "dunning.send_invoice_overdue_days=soon") == 1
    assert "(dunning.send_invoice_overdue_days)" in capsys.readouterr().err
    assert get_billing_settings(True).retry_schedule_days == [2, 5]
    with pytest.raises(SystemExit):
        run_cli("settings", "billing", "set", "dunning.retry_schedule_days=1")  # which mode?
