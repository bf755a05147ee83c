"""Files and issued documents.

- ``/v1/files``: Stripe's File object. Uploads are ``multipart/form-data`` (``purpose``, ``file``),
  as the SDK sends them to its files host; Seikyu serves that host's paths itself.
- ``/v1/documents`` (Seikyu extension): every issued invoice, receipt and credit note PDF,
  searchable by issue date, amount and customer (電子帳簿保存法).

Contents are bytes, not JSON, so ``…/contents`` are plain Django views beside the ``/v1``
dispatcher (``urlpatterns`` below, mounted at ``v1/`` ahead of it), authenticated with the same
keys and answering errors in the same shape. The multipart upload is decoded here too and then
handed to the dispatcher as an ordinary form, so it gets everything other requests get
(authentication, idempotency, one transaction, ``Request-Id``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from pydantic import Field

from seikyu.account.models import File
from seikyu.account.render import render_file
from seikyu.account.services import MAX_FILE_BYTES, create_file, get_file
from seikyu.api.models import ApiKey
from seikyu.api.params import ListParams, Params, RangeFilter
from seikyu.api.query import fetch, paginate, range_q
from seikyu.api.routing import ApiRequest, Router
from seikyu.api.views import authenticate, dispatch, error_response
from seikyu.core.errors import InvalidRequest, ResourceMissing, SeikyuError
from seikyu.core.ids import new_id
from seikyu.documents.models import Document
from seikyu.documents.render import render_document
from seikyu.documents.services import search_documents

router = Router()


class FileCreate(Params):
    purpose: str
    title: Annotated[str, Field(max_length=255)] | None = None


class FileList(ListParams):
    purpose: str | None = None


@router.post("/v1/files", returns="file")
def upload_file(req: ApiRequest, params: FileCreate) -> dict[str, Any]:
    """Upload a file: multipart/form-data with ``purpose`` (business_logo | business_icon) and ``file``."""
    upload = req.http.FILES.get("file") if req.http is not None else None
    if upload is None:
        raise InvalidRequest(
            "Missing required param: file. Send the file as multipart/form-data.",
            code="parameter_missing",
            param="file",
        )
    content = upload.read(MAX_FILE_BYTES + 1)
    file = create_file(
        purpose=params.purpose, filename=upload.name or "", content=content, livemode=req.livemode, title=params.title
    )
    return render_file(file)


@router.get("/v1/files/{id}", returns="file")
def retrieve_file(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve a file's details (its bytes are at ``url``)."""
    return render_file(fetch(req, File.objects.defer("content"), id, kind="file"))


@router.get("/v1/files", returns="list")
def list_files(req: ApiRequest, params: FileList) -> dict[str, Any]:
    """List files, newest first."""
    files = File.objects.defer("content")
    if params.purpose:
        files = files.filter(purpose=params.purpose)
    return paginate(req, files, params, render_file)


# --------------------------------------------------------------------------- documents


class DocumentList(ListParams):
    customer: str | None = None
    kind: Literal["invoice", "receipt", "credit_note"] | None = None
    number: str | None = None
    object_id: str | None = None
    issued_at: int | RangeFilter | None = None
    amount: int | RangeFilter | None = None


def _amount_bounds(value: int | RangeFilter | None) -> tuple[int | None, int | None]:
    if value is None or isinstance(value, int):
        return value, value
    low = value.gte if value.gte is not None else (value.gt + 1 if value.gt is not None else None)
    high = value.lte if value.lte is not None else (value.lt - 1 if value.lt is not None else None)
    return low, high


@router.get("/v1/documents/{id}", returns="document")
def retrieve_document(req: ApiRequest, params: Params, id: str) -> dict[str, Any]:
    """Retrieve an issued document (Seikyu extension); its PDF is at ``url``."""
    return render_document(fetch(req, Document.objects.defer("pdf"), id, kind="document"))


@router.get("/v1/documents", returns="list")
def list_documents(req: ApiRequest, params: DocumentList) -> dict[str, Any]:
    """List issued documents (Seikyu extension): filter by issued_at and amount ranges, customer, kind, number."""
    low, high = _amount_bounds(params.amount)
    documents = search_documents(
        livemode=req.livemode,
        amount_min=low,
        amount_max=high,
        customer_id=params.customer,
        kind=params.kind,
        number=params.number,
    ).filter(range_q("issued_at", params.issued_at))
    if params.object_id:
        documents = documents.filter(object_id=params.object_id)
    return paginate(req, documents.defer("pdf"), params, render_document)


# --------------------------------------------------------------------------- bytes


def _bytes_response(request: HttpRequest, load: Callable[[ApiKey], tuple[bytes, str, str]]) -> HttpResponse:
    request_id = new_id("req")
    try:
        content, content_type, filename = load(authenticate(request))
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    except SeikyuError as exc:
        response = error_response(exc)
    response["Request-Id"] = request_id
    return response


def file_contents(request: HttpRequest, file_id: str) -> HttpResponse:
    def load(key: ApiKey) -> tuple[bytes, str, str]:
        file = get_file(file_id, livemode=key.livemode)
        mime = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}[file.type]
        return bytes(file.content), mime, file.filename

    return _bytes_response(request, load)


def document_contents(request: HttpRequest, document_id: str) -> HttpResponse:
    def load(key: ApiKey) -> tuple[bytes, str, str]:
        document = Document.objects.filter(id=document_id, livemode=key.livemode).first()
        if document is None:
            raise ResourceMissing("document", document_id)
        return bytes(document.pdf), "application/pdf", f"{document.kind}-{document.number}-{document.locale}.pdf"

    return _bytes_response(request, load)


@csrf_exempt
def files_endpoint(request: HttpRequest) -> HttpResponse:
    """``/v1/files``: a multipart upload is decoded into form fields (the file stays in
    ``request.FILES``) and dispatched like any other request."""
    if request.method == "POST" and request.content_type == "multipart/form-data":
        fields = [(key, value) for key, values in request.POST.lists() for value in values]
        form = "application/x-www-form-urlencoded"
        request._body = urlencode(fields).encode()  # the dispatcher reads the fields from the body
        request.META["CONTENT_TYPE"] = request.content_type = form
    return dispatch(request)


urlpatterns = [
    path("files", files_endpoint),
    path("files/<str:file_id>/contents", file_contents),
    path("documents/<str:document_id>/contents", document_contents),
]
