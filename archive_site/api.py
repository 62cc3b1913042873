"""API conventions shared by every app: one error format for every failure.

Errors look like {"error": {"status": 403, "code": "not_authenticated", "message": "...",
"fields": {...}}} so an integrator can handle every failure the same way.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc, context):
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    body = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        data = response.data
        if isinstance(data, dict):
            non_field = data.pop("non_field_errors", None)
            body["message"] = " ".join(str(m) for m in non_field) if non_field else "The request is invalid."
            body["fields"] = data
        else:
            body["message"] = " ".join(str(m) for m in data)
    else:
        body["code"] = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        body["message"] = str(response.data.get("detail", "")) if isinstance(response.data, dict) else str(response.data)
    response.data = {"error": body}
    return response


def error_response(*, status_code: int, code: str, message: str) -> Response:
    """An error in the house format, for views that answer a domain error directly."""
    return Response({"error": {"status": status_code, "code": code, "message": message}}, status=status_code)

