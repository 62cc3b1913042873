"""Portal pages of the project itself: the signed-in user's account and API token."""
from axes.helpers import get_lockout_message
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from .services import api_token_rotate


@require_GET
@never_cache  # shows the API token: no browser or proxy may keep a copy
@login_required
def account(request):
    token = Token.objects.filter(user=request.user).first()
    return render(request, "registration/account.html", {"token": token})


def login_locked_out(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the portal's page (the API's error body under /api/) for a
    login refused because of too many failed attempts."""
    message = get_lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"status": 429, "code": "locked_out", "message": message}}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


@require_POST
@login_required
def account_token(request):
    api_token_rotate(user=request.user)
    messages.success(request, "A new API token was created; the previous one no longer works.")
    return redirect("account")
