"""API conventions shared by every app: one error format for every failure.

Errors look like {"error": {"status": 403, "code": "not_authenticated", "message": "...",
"fields": {...}}} so an integrator can handle every failure the same way.
"""
from __future__ import annotations

from axes.helpers import get_lockout_message
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .throttles import LoginThrottle


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


ERROR_SCHEMA = inline_serializer("Error", {"error": inline_serializer("ErrorBody", {
    "status": serializers.IntegerField(), "code": serializers.CharField(), "message": serializers.CharField(),
    "fields": serializers.DictField(required=False),
})})


def refusal_schema(name: str, *, existing: dict, codes: list[str] | None = None):
    """The schema of a refusal in the error format that names what is in the way
    (`existing`: its fields, or null), for `extend_schema(responses=…)`. The same status may
    also carry a plain invalid-request error (code "invalid", with `fields`)."""
    return inline_serializer(name, {"error": inline_serializer(f"{name}Body", {
        "status": serializers.IntegerField(),
        "code": serializers.ChoiceField(choices=[*codes, "invalid"]) if codes else serializers.CharField(),
        "message": serializers.CharField(),
        "existing": inline_serializer(f"{name}Existing", existing, allow_null=True, required=False),
        "fields": serializers.DictField(required=False),
    })})


# --- permissions: every app's API uses these three -------------------------------------------

class WritePermissions(permissions.DjangoModelPermissions):
    """Writes need the model permission (add/change/delete); reads are open to everyone and
    narrowed by the visibility selectors."""

    authenticated_users_only = False


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the view permission too; an action may name the permissions it needs
    (`action_permissions` on the viewset: a list, or a list per HTTP method) instead of
    those of its HTTP method."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"], "HEAD": ["%(app_label)s.view_%(model_name)s"]}

    def has_permission(self, request, view):
        required = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if isinstance(required, dict):
            required = required.get(request.method, required.get("GET"))
        if required is not None:
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(required))
        return super().has_permission(request, view)


def requires(permission: str) -> type[permissions.BasePermission]:
    """A permission class: signed in, with `permission` (anonymous users get 401/403)."""

    class Required(permissions.BasePermission):
        message = f"You need the {permission} permission."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(permission))

    Required.__name__ = f"Requires_{permission.replace('.', '_')}"
    return Required


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


def permission_denied(request, exception):
    """handler403: the error format under /api/; elsewhere a page that says what is missing
    (the PermissionDenied message: `archive_site.portal` names the permission and the roles
    that give it) and whom to ask (settings.ARCHIVE_CONTACT_EMAIL)."""
    message = str(exception) if str(exception) else "You may not do this."
    if request.path.startswith("/api/"):
        return _error_json(request, status_code=403, code="permission_denied", message=message)
    user = request.user
    roles = sorted(user.groups.values_list("name", flat=True)) if user.is_authenticated else []
    context = {"message": message, "contact_email": settings.ARCHIVE_CONTACT_EMAIL, "roles": roles}
    return render(request, "403.html", context, status=403)


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

    throttle_classes = [LoginThrottle]
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
