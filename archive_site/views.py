"""Portal pages of the project itself: the signed-in user's account and API token."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from .services import api_token_rotate


@require_GET
@login_required
def account(request):
    token = Token.objects.filter(user=request.user).first()
    return render(request, "registration/account.html", {"token": token})


@require_POST
@login_required
def account_token(request):
    api_token_rotate(user=request.user)
    messages.success(request, "A new API token was created; the previous one no longer works.")
    return redirect("account")
