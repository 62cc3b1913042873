"""Request checks that every view relies on: text input is valid UTF-8 without NUL bytes.

PostgreSQL text cannot hold NUL and Django silently replaces undecodable bytes, so such input
would either fail deep inside a query (a 500) or be stored mangled. It is refused up front
with a 400 in the usual error body (`archive_site.api.bad_request`)."""
from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest

NUL_MESSAGE = "The request contains a NUL character, which no field accepts."
UTF8_MESSAGE = "The request is not valid UTF-8 text."


def _check_text(data: bytes) -> None:
    if b"\x00" in data:
        raise BadRequest(NUL_MESSAGE)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(UTF8_MESSAGE) from None


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


class RejectBadInputMiddleware:
    """400 for a NUL byte or undecodable bytes in the path, the query string or a text body
    (form fields, multipart text fields, JSON strings); uploaded files are not text and pass."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # WSGI hands the path over as latin-1 characters of the raw bytes.
        _check_text(request.META.get("PATH_INFO", "").encode("latin-1", "replace"))
        _check_text(unquote_to_bytes(request.META.get("QUERY_STRING", "")))
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            self._check_body(request)
        return self.get_response(request)

    def _check_body(self, request) -> None:
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            _check_text(unquote_to_bytes(request.body.replace(b"+", b" ")))
        elif content_type == "multipart/form-data":
            if any(_contains_nul(key) or _contains_nul(values) for key, values in request.POST.lists()):
                raise BadRequest(NUL_MESSAGE)
        elif content_type == "application/json" or content_type.endswith("+json"):
            try:
                data = json.loads(request.body)
            except ValueError:
                return  # the view's parser answers malformed JSON with its own 400
            if _contains_nul(data):
                raise BadRequest(NUL_MESSAGE)
