"""``/v1/account_settings`` (Seikyu extension): the business's public details, document defaults,
bank-transfer template, email sender, team alert recipients and customer-email switches.

One object for the whole account, shared by test and live mode. Nested hashes are sent in the
usual bracket form (``business[registration_number]=T…``); an empty value resets a setting (or a
whole hash) to its default."""

from __future__ import annotations

from typing import Any

from seikyu.account.render import render_account_settings
from seikyu.account.schema import SettingsUpdate
from seikyu.account.services import get_account_settings, update_account_settings
from seikyu.api.params import Params
from seikyu.api.routing import ApiRequest, Router

router = Router()


class AccountSettingsUpdate(SettingsUpdate, Params):
    pass


@router.get("/v1/account_settings", returns="account_settings")
def retrieve_account_settings(req: ApiRequest, params: Params) -> dict[str, Any]:
    """Retrieve the account settings (Seikyu extension)."""
    return render_account_settings(get_account_settings())


@router.post("/v1/account_settings", returns="account_settings")
def update_settings(req: ApiRequest, params: AccountSettingsUpdate) -> dict[str, Any]:
    """Update the account settings (Seikyu extension); unspecified settings keep their values."""
    return render_account_settings(update_account_settings(params.given()))
