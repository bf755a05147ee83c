"""``/v1/files`` (multipart upload as the SDK sends it, metadata, contents) and the
``/v1/documents`` search (Seikyu extension) with the PDFs behind it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import stripe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api_support import ApiClient, api_key
from seikyu.account.services import MAX_FILE_BYTES
from seikyu.core.clock import pinned, to_unix
from seikyu.documents.services import document_for

from .conftest import NOW, png

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><rect width="200" height="50"/></svg>'
# The smallest JPEG header that names a size: SOI, then a baseline SOF0 segment of 64×32.
JPEG = b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x20\x00\x40\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9"


@pytest.fixture
def secret(db: None) -> str:
    return api_key()


def upload(secret: str, content: bytes, name: str = "logo.png", purpose: str = "business_logo", **extra):
    return Client().post(
        "/v1/files",
        {"purpose": purpose, "file": SimpleUploadedFile(name, content), **extra},
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_uploading_images_gives_stripe_file_objects(secret):
    response = upload(secret, png(), title="Our logo")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"].startswith("file_") and body["object"] == "file" and "Request-Id" in response.headers
    assert (body["purpose"], body["type"], body["size"], body["filename"], body["title"]) == (
        "business_logo",
        "png",
        len(png()),
        "logo.png",
        "Our logo",
    )
    assert body["url"] == f"http://testserver/v1/files/{body['id']}/contents"
    assert body["links"] == {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": f"/v1/file_links?file={body['id']}",
    }
    assert upload(secret, SVG, "logo.svg").json()["type"] == "svg"
    assert upload(secret, JPEG, "photo.jpeg", purpose="business_icon").json()["type"] == "jpg"

    api = ApiClient(secret)
    assert api.ok("GET", f"/v1/files/{body['id']}") == body
    listed = api.ok("GET", "/v1/files", {"purpose": "business_logo"})
    assert [f["type"] for f in listed["data"]] == ["svg", "png"]

    contents = Client().get(f"/v1/files/{body['id']}/contents", headers={"Authorization": f"Bearer {secret}"})
    assert contents.status_code == 200 and contents["Content-Type"] == "image/png" and contents.content == png()


@pytest.mark.parametrize(
    ("content", "purpose", "param", "message"),
    [
        (b"GIF89a....", "business_logo", "file", "not a PNG, JPEG or SVG"),
        (b"<html><body>hi</body></html>", "business_logo", "file", "not a PNG, JPEG or SVG"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg/>', "business_logo", "file", "DOCTYPE"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "business_logo", "file", "width and height"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_FILE_BYTES), "business_logo", "file", "at most"),
        (png(), "dispute_evidence", "purpose", "business_logo"),
    ],
)
def test_unusable_uploads_are_refused(secret, content, purpose, param, message):
    response = upload(secret, content, purpose=purpose)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]
    assert ApiClient(secret).ok("GET", "/v1/files")["data"] == []


def test_upload_needs_a_key_and_a_file(secret):
    response = Client().post("/v1/files", {"purpose": "business_logo", "file": SimpleUploadedFile("a.png", png())})
    assert response.status_code == 401
    response = Client().post("/v1/files", {"purpose": "business_logo"}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "file"


def test_files_belong_to_their_mode(secret):
    file_id = upload(secret, png()).json()["id"]
    live = api_key(livemode=True)
    assert ApiClient(live).get(f"/v1/files/{file_id}").status == 404
    contents = Client().get(f"/v1/files/{file_id}/contents", headers={"Authorization": f"Bearer {live}"})
    assert contents.status_code == 404 and contents.json()["error"]["code"] == "resource_missing"


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_uploads_to_the_files_host(live_server):
    secret = api_key()
    client = stripe.StripeClient(secret, base_addresses={"api": live_server.url, "files": live_server.url})
    logo = io.BytesIO(png())
    logo.name = "brand.png"
    created = client.v1.files.create({"purpose": "business_logo", "file": logo})
    assert created.id.startswith("file_") and created.type == "png" and created.filename == "brand.png"
    assert client.v1.files.retrieve(created.id).size == len(png())


def test_documents_are_listed_and_searched_through_the_api(secret, business, rates, make_customer, make_invoice):
    alice, bob = make_customer(name="Alice"), make_customer(name="株式会社ボブ")
    made = []
    for day, (who, amount) in enumerate([(alice, 1000), (bob, 5000), (alice, 20000)]):
        with pinned(NOW + dt.timedelta(days=day)):
            made.append(document_for(make_invoice(who, [("x", amount, rates.standard)]), "invoice"))
    api = ApiClient(secret)

    def ids(**query):
        return [d["id"] for d in api.ok("GET", "/v1/documents", query)["data"]]

    assert ids() == [made[2].id, made[1].id, made[0].id]
    listed = api.ok("GET", "/v1/documents", {"limit": 1})
    first = listed["data"][0]
    assert listed["has_more"] is True
    assert first == api.ok("GET", f"/v1/documents/{made[2].id}")
    assert (first["object"], first["kind"], first["locale"], first["amount"], first["currency"]) == (
        "document",
        "invoice",
        "ja",
        22000,
        "jpy",
    )
    assert first["sha256"] == made[2].sha256 and first["issued_at"] == to_unix(NOW + dt.timedelta(days=2))
    assert ids(customer=alice.id) == [made[2].id, made[0].id]
    assert ids(amount={"gte": 5000}) == [made[2].id, made[1].id]
    assert ids(amount={"gt": 1100, "lt": 22000}) == [made[1].id]
    assert ids(issued_at={"gte": to_unix(NOW + dt.timedelta(days=1))}, customer=alice.id) == [made[2].id]
    assert ids(amount=1100) == [made[0].id]
    assert ids(kind="receipt") == []
    error = api.get("/v1/documents", {"kind": "letter"}).error
    assert error["param"] == "kind"

    pdf = Client().get(f"/v1/documents/{made[0].id}/contents", headers={"Authorization": f"Bearer {secret}"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(made[0].pdf)
    live = api_key(livemode=True)
    assert ApiClient(live).ok("GET", "/v1/documents")["data"] == []
    assert (
        Client().get(f"/v1/documents/{made[0].id}/contents", headers={"Authorization": f"Bearer {live}"}).status_code
        == 404
    )
