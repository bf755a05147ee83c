from seikyu.billing.links import hosted_invoice_url, invoice_id_from_token, invoice_pdf_url, invoice_token


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
