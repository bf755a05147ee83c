from seikyu.billing.links import (
    credit_note_id_from_token,
    credit_note_pdf_url,
    credit_note_token,
    hosted_invoice_url,
    invoice_id_from_token,
    invoice_pdf_url,
    invoice_token,
)


def test_an_invoice_link_is_stable_and_opens_only_its_invoice(settings):
    settings.PUBLIC_URL = "https://billing.example.jp"
    token = invoice_token("in_123")
    assert invoice_token("in_123") == token
    assert invoice_id_from_token(token) == "in_123"
    assert hosted_invoice_url("in_123") == f"https://billing.example.jp/i/{token}"
    assert invoice_pdf_url("in_123") == f"https://billing.example.jp/i/{token}/pdf"
    forged = token.replace("in_123", "in_124")
    assert invoice_id_from_token(forged) is None
    assert invoice_id_from_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_a_credit_note_link_has_a_salt_of_its_own(settings):
    settings.PUBLIC_URL = "https://billing.example.jp"
    token = credit_note_token("cn_123")
    assert credit_note_pdf_url("cn_123") == f"https://billing.example.jp/cn/{token}/pdf"
    assert credit_note_id_from_token(token) == "cn_123"
    # The same id signed for another kind opens nothing here, and the other way round.
    assert token != invoice_token("cn_123")
    assert invoice_id_from_token(token) is None
    assert credit_note_id_from_token(invoice_token("cn_123")) is None


def test_links_follow_a_new_secret_key(settings):
    before = invoice_token("in_123")
    settings.SECRET_KEY = "a-new-secret-for-this-test-" + "x" * 40
    after = invoice_token("in_123")
    assert after != before
    assert invoice_id_from_token(after) == "in_123"
    assert invoice_id_from_token(before) is None
