"""The OpenAPI schema tells the truth about what drf-spectacular cannot see by itself:
every operation can answer in the house error format (400, 401, 403, 404, 429), and reads
that the archive's permissions open to anonymous clients need no credentials."""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {}},
            },
            "required": ["status", "code", "message"],
        },
    },
    "required": ["error"],
}
ERROR_RESPONSES = {
    "400": "The request is invalid (query parameters, body, a NUL byte…).",
    "401": "Credentials are missing or wrong.",
    "403": "The credentials do not allow this.",
    "404": "No such resource, or not visible to these credentials, or no such page.",
    "429": "Too many requests (throttled) or too many failed logins (locked out).",
}


class ArchiveAutoSchema(AutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        # DjangoModelPermissions with authenticated_users_only = False (the archive's reads)
        # let anonymous clients read.
        public_read = self.method in permissions.SAFE_METHODS and any(
            getattr(permission, "authenticated_users_only", True) is False for permission in self.view.get_permissions()
        )
        if public_read and {} not in auths:
            auths.append({})
        return auths


def error_responses(result, generator, request, public):
    """Postprocessing hook: document the error format on every operation that lacks it."""
    result.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/ApiError"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(status, {"description": description, "content": {"application/json": {"schema": reference}}})
    return result
