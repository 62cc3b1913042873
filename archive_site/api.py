"""API conventions shared by every app: one error format for every failure.

Errors look like {"error": {"status": 403, "code": "not_authenticated", "message": "...",
"fields": {...}}} so an integrator can handle every failure the same way.
"""
from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from drf_spectacular.utils import extend_schema
from axes.helpers import get_lockout_message
from rest_framework import exceptions, permissions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
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


def _error_json(request, *, status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": status_code, "code": code, "message": message}}, status=status_code)


def bad_request(request, exception):
    """handler400: the error format under /api/, the portal's error page elsewhere. Only our
    own BadRequest messages are shown; other SuspiciousOperations get a generic message."""
    message = str(exception) if type(exception) is BadRequest and str(exception) else "The request could not be understood."
    if request.path.startswith("/api/"):
        return _error_json(request, status_code=400, code="bad_request", message=message)
    return render(request, "400.html", {"message": message}, status=400)


def page_not_found(request, exception):
    """handler404: the error format under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _error_json(request, status_code=404, code="not_found", message="Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: the error format under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _error_json(request, status_code=500, code="server_error", message="Internal server error.")
    return defaults.server_error(request)


class CurrentUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField(help_text="An e-mail address, or empty.")
    roles = serializers.ListField(child=serializers.CharField())
    is_staff = serializers.BooleanField()


class CurrentUserView(APIView):
    """Who the credentials belong to: lets an integrator check a token and see its roles."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=CurrentUserSerializer)
    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "email": user.email,
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "is_staff": user.is_staff,
        }
        return Response(CurrentUserSerializer(data).data)


class TokenObtainView(ObtainAuthToken):
    """POST username and password for the API token. Throttled per address (scope "login"),
    and a username locked out after repeated failures (django-axes) is refused even with
    the right password until the cool-off has passed."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # axes flags the request it was given: here DRF's request, not Django's.
            if getattr(request, "axes_locked_out", False):
                return error_response(status_code=429, code="locked_out", message=get_lockout_message())
            raise
        add_never_cache_headers(response)  # the body is a secret
        return response
