"""One authentication for every route: the REST API's token (`Authorization: Token …`) is
accepted by every view, not only by DRF's, so IIIF, media and portal URLs see the same user
an API client is. Token first, then the session — the order of the REST API's
DEFAULT_AUTHENTICATION_CLASSES; bad credentials answer 401 with `WWW-Authenticate: Token`
in the API's error format, exactly as the API does."""
from __future__ import annotations

from django.http import JsonResponse
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed


class TokenAuthenticationMiddleware:
    """After AuthenticationMiddleware: a request with a token header is that token's user."""

    keyword = TokenAuthentication.keyword

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = get_authorization_header(request).split()
        if header and header[0].lower() == self.keyword.lower().encode():
            try:
                authenticated = TokenAuthentication().authenticate(request)
            except AuthenticationFailed as failure:
                response = JsonResponse({"error": {"status": 401, "code": failure.get_codes(), "message": str(failure.detail)}}, status=401)
                response["WWW-Authenticate"] = self.keyword
                return response
            if authenticated is not None:
                request.user = authenticated[0]
        return self.get_response(request)
