"""Account settings through the service, the API (``/v1/account_settings``) and the command line:
defaults, nested updates, resets, every check with its ``param``, and the issuer snapshot."""

from __future__ import annotations

import argparse

import pytest

from api_support import ApiClient, api_key
from seikyu.account.models import AccountSettings
from seikyu.account.services import create_file, get_account_settings, issuer_snapshot, update_account_settings
from seikyu.cli import account as cli
from seikyu.core.errors import InvalidRequest, ResourceMissing

from .conftest import REGISTRATION, png


@pytest.fixture
def api(db: None) -> ApiClient:
    return ApiClient(api_key())


def test_defaults_on_first_read(db):
    settings = get_account_settings()
    assert (settings.brand_color, settings.trial_ending_enabled, settings.trial_ending_days) == ("#1F3A5F", True, 7)
    assert settings.past_due_reminders_enabled is False and settings.past_due_reminder_days == [1, 7, 14]
    assert AccountSettings.objects.count() == 1 and get_account_settings().pk == 1


def test_nested_update_normalises_and_keeps_the_rest(db):
    update_account_settings(
        {
            "business": {"name": " 株式会社請求テック ", "registration_number": "t7000-0120-50002"},
            "branding": {"brand_color": "#0b6e4f"},
            "bank_transfer": {
                "bank_name": "みずほ銀行",
                "branch_name": "渋谷支店",
                "branch_code": "１２３",
                "account_type": "toza",
                "account_number": "12345",
                "account_holder": "ｶ)ｾｲｷﾕｳ",
            },
            "alert_recipients": ["ops@example.jp", "ops@example.jp", "cfo@example.jp"],
            "customer_emails": {
                "trial_ending": {"days_before": "3"},
                "past_due_reminders": {"days_after_due": [14, 1, 7, 7]},
            },
        }
    )
    update_account_settings({"support": {"email": "help@example.jp", "email_shown": False}})
    s = get_account_settings()
    assert (s.business_name, s.registration_number, s.brand_color) == ("株式会社請求テック", REGISTRATION, "#0B6E4F")
    assert (s.bank_branch_code, s.bank_account_number, s.bank_account_type) == ("123", "0012345", "toza")
    assert s.alert_recipients == ["ops@example.jp", "cfo@example.jp"]
    assert (s.trial_ending_enabled, s.trial_ending_days, s.past_due_reminder_days) == (True, 3, [1, 7, 14])
    assert (s.support_email, s.support_email_shown) == ("help@example.jp", False)

    # None resets one setting, or every setting of a hash.
    update_account_settings({"branding": {"brand_color": None}, "bank_transfer": None})
    s = get_account_settings()
    assert s.brand_color == "#1F3A5F" and s.bank_name is None and s.bank_account_number is None
    assert s.registration_number == REGISTRATION


@pytest.mark.parametrize(
    ("update", "param", "message"),
    [
        ({"business": {"registration_number": "T7000012050003"}}, "business[registration_number]", "check digit"),
        ({"branding": {"accent_color": "red"}}, "branding[accent_color]", "#RRGGBB"),
        ({"branding": {"brand_color": "#12345"}}, "branding[brand_color]", "#RRGGBB"),
        ({"support": {"email": "not-an-email"}}, "support[email]", "email"),
        ({"support": {"url": "ftp://example.jp"}}, "support[url]", "http"),
        ({"support": {"phone": "call me"}}, "support[phone]", "phone"),
        ({"statement_descriptor": "請求"}, "statement_descriptor", "Latin"),
        ({"email_sender": {"reply_to": "x@"}}, "email_sender[reply_to]", "email"),
        ({"alert_recipients": ["ok@example.jp", "nope"]}, "alert_recipients[1]", "email"),
        (
            {"customer_emails": {"trial_ending": {"days_before": 0}}},
            "customer_emails[trial_ending][days_before]",
            "greater than",
        ),
        (
            {"customer_emails": {"past_due_reminders": {"days_after_due": []}}},
            "customer_emails[past_due_reminders][days_after_due]",
            "at least one",
        ),
        ({"business": {"nickname": "x"}}, "business[nickname]", "not permitted"),
        ({"bank_transfer": {"account_type": "savings"}}, "bank_transfer[account_type]", "futsu"),
        ({"bank_transfer": {"branch_code": "12"}}, "bank_transfer[branch_code]", "3 digits"),
        ({"bank_transfer": {"account_holder": "カ)セイキュウ"}}, "bank_transfer[account_holder]", "half-width"),
        ({"bank_transfer": {"account_holder": "ｾｲｷｭｳ"}}, "bank_transfer[account_holder]", "large kana"),
        ({"bank_transfer": {"bank_name": "みずほ銀行"}}, "bank_transfer[branch_name]", "complete"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter_and_change_nothing(db, update, param, message):
    update_account_settings({"business": {"name": "元の名前"}, "branding": {"brand_color": "#123456"}})
    before = AccountSettings.objects.values().get()
    with pytest.raises(InvalidRequest, match=message) as refused:
        update_account_settings({"business": {"name": "新しい名前"}, **update})
    assert refused.value.param == param
    assert AccountSettings.objects.values().get() == before


def test_the_logo_must_be_an_uploaded_image_file(db):
    with pytest.raises(ResourceMissing) as missing:
        update_account_settings({"branding": {"logo": "file_missing"}})
    assert missing.value.param == "branding[logo]"
    logo = create_file(purpose="business_logo", filename="logo.png", content=png(), livemode=True)
    update_account_settings({"branding": {"logo": logo.id}})
    assert get_account_settings().logo_id == logo.id


def test_issuer_snapshot_leaves_out_what_is_hidden(db):
    update_account_settings(
        {
            "business": {
                "name": "株式会社請求テック",
                "registration_number": REGISTRATION,
                "address": {"country": "JP", "state": "東京都", "city": "渋谷区", "line1": "渋谷1-1"},
            },
            "support": {"phone": "03-1234-5678", "phone_shown": False, "email": "help@example.jp"},
        }
    )
    snapshot = issuer_snapshot()
    assert snapshot["name"] == "株式会社請求テック" and snapshot["registration_number"] == REGISTRATION
    assert snapshot["phone"] is None and snapshot["email"] == "help@example.jp"
    assert snapshot["address"]["city"] == "渋谷区" and snapshot["address_en"] == snapshot["address"]
    assert snapshot["bank_transfer"] is None and snapshot["logo"] is None
    update_account_settings({"business": {"address_shown": False}})
    assert issuer_snapshot()["address"] is None


def test_the_api_reads_and_updates_the_settings(api):
    status, body, headers = api.get("/v1/account_settings")
    assert status == 200 and body["object"] == "account_settings" and "Request-Id" in headers
    assert body["customer_emails"]["trial_ending"] == {"enabled": True, "days_before": 7}
    # The renewal email is timed by the billing setting upcoming_renewal_days (shared with invoice.upcoming).
    assert (
        body["customer_emails"]["upcoming_renewal"]
        == body["customer_emails"]["credit_note_issued"]
        == {"enabled": True}
    )
    error = api.post("/v1/account_settings", {"customer_emails": {"upcoming_renewal": {"days_before": 3}}}).error
    assert (error["code"], error["param"]) == ("parameter_unknown", "customer_emails[upcoming_renewal][days_before]")
    body = api.ok(
        "POST",
        "/v1/account_settings",
        {
            "business": {"name": "株式会社請求テック", "registration_number": REGISTRATION},
            "customer_emails": {
                "payment_failed": {"enabled": False},
                "past_due_reminders": {"days_after_due": [3, 10]},
            },
        },
    )
    assert body["business"]["registration_number"] == REGISTRATION
    assert body["customer_emails"]["payment_failed"]["enabled"] is False
    assert body["customer_emails"]["past_due_reminders"] == {"enabled": False, "days_after_due": [3, 10]}

    error = api.post("/v1/account_settings", {"business": {"registration_number": "T1234567890123"}}).error
    assert (error["type"], error["param"]) == ("invalid_request_error", "business[registration_number]")
    error = api.post("/v1/account_settings", {"customer_emails": {"trial_ending": {"days_before": "soon"}}}).error
    assert error["param"] == "customer_emails[trial_ending][days_before]"
    error = api.post("/v1/account_settings", {"colour": "#FFFFFF"}).error
    assert (error["code"], error["param"]) == ("parameter_unknown", "colour")
    # An empty value resets to the default.
    assert api.ok("POST", "/v1/account_settings", {"business": {"name": ""}})["business"]["name"] is None

    live = ApiClient(api_key(livemode=True))
    assert live.ok("GET", "/v1/account_settings")["business"]["registration_number"] == REGISTRATION


def test_the_openapi_document_lists_the_extensions(api):
    paths = api.client.get("/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/v1/account_settings"])
    assert "post" in paths["/v1/files"] and "get" in paths["/v1/documents"]
    assert "Seikyu extension" in paths["/v1/account_settings"]["post"]["summary"]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="seikyu")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_command_line_show_set_and_logo(db, tmp_path, capsys):
    assert (
        run_cli(
            "settings",
            "set",
            f"business.registration_number={REGISTRATION}",
            "branding.brand_color=#0B6E4F",
            "customer_emails.past_due_reminders.days_after_due=1,5,30",
            "customer_emails.card_expiring.enabled=false",
            "customer_emails.credit_note_issued.enabled=false",
            "alert_recipients=ops@example.jp, cfo@example.jp",
            'business.address={"country": "JP", "state": "東京都", "city": "渋谷区"}',
        )
        == 0
    )
    s = get_account_settings()
    assert (s.registration_number, s.brand_color, s.past_due_reminder_days) == (REGISTRATION, "#0B6E4F", [1, 5, 30])
    assert s.card_expiring_enabled is False and s.alert_recipients == ["ops@example.jp", "cfo@example.jp"]
    assert s.credit_note_issued_enabled is False
    assert s.address == {"country": "JP", "state": "東京都", "city": "渋谷区"}

    capsys.readouterr()
    assert run_cli("settings", "show") == 0
    shown = capsys.readouterr().out.splitlines()
    assert f"business.registration_number = {REGISTRATION}" in shown
    assert "customer_emails.past_due_reminders.days_after_due = 1,5,30" in shown
    assert "customer_emails.card_expiring.enabled = false" in shown

    assert run_cli("settings", "set", "business.registration_number=T7000012050003") == 1
    assert "check digit" in capsys.readouterr().err and get_account_settings().registration_number == REGISTRATION
    assert run_cli("settings", "set", "branding.brand_color=") == 0
    assert get_account_settings().brand_color == "#1F3A5F"

    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    assert run_cli("settings", "logo", str(logo)) == 0
    assert get_account_settings().logo.type == "png"
    (tmp_path / "notes.txt").write_text("hello")
    assert run_cli("settings", "logo", str(tmp_path / "notes.txt")) == 1
    assert "not a PNG, JPEG or SVG" in capsys.readouterr().err
