"""Logins cannot be guessed at (issue 11, finding 3): django-axes locks a username from an
address out of the portal and admin login and the token endpoint after repeated failures,
DRF throttles the token endpoint and the anonymous API, and every refusal says why."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

pytestmark = pytest.mark.django_db
WRONG_TRIES = 50


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_fifty_wrong_passwords_lock_the_portal_login_and_the_right_one_is_refused(login_url, superuser):
    client = Client()
    statuses = [
        client.post(login_url, {"username": superuser.username, "password": f"wrong-{i}"}).status_code
        for i in range(WRONG_TRIES)
    ]
    # The form answers the first failures itself (200 with its error), then the lockout page.
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[settings.AXES_FAILURE_LIMIT:]) == {429}

    response = client.post(login_url, {"username": superuser.username, "password": "pw-" + superuser.username})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed login attempts" in body and "minutes" in body
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/").status_code == 302  # still not signed in

    # Another user (or the same user from elsewhere) is not locked out by this.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/accounts/login/", {"username": superuser.username, "password": "pw-" + superuser.username}).status_code == 302


def test_fifty_wrong_passwords_on_the_token_endpoint_are_throttled_then_locked_out(archivist):
    client = APIClient()
    responses = [client.post("/api/auth/token/", {"username": archivist.username, "password": f"wrong-{i}"}) for i in range(WRONG_TRIES)]
    statuses = [response.status_code for response in responses]
    assert statuses[0] == 400 and statuses[-1] == 429
    assert statuses.count(400) <= settings.AXES_FAILURE_LIMIT
    error = responses[-1].json()["error"]
    assert error["status"] == 429 and error["code"] == "throttled" and "seconds" in error["message"]
    assert "Retry-After" in responses[-1]

    response = client.post("/api/auth/token/", {"username": archivist.username, "password": "pw-" + archivist.username})
    assert response.status_code == 429 and "token" not in response.json()

    # Past the throttle's window the account is still locked out, with its own message.
    cache.clear()
    response = client.post("/api/auth/token/", {"username": archivist.username, "password": "pw-" + archivist.username})
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "locked_out" and "Too many failed login attempts" in error["message"]


def test_a_few_wrong_passwords_do_not_lock_anyone_out(archivist):
    client = APIClient()
    for _ in range(2):
        assert client.post("/api/auth/token/", {"username": archivist.username, "password": "nope"}).status_code == 400
    response = client.post("/api/auth/token/", {"username": archivist.username, "password": "pw-" + archivist.username})
    assert response.status_code == 200 and response.json()["token"]


def test_the_anonymous_api_is_throttled_and_signed_in_clients_are_not(archivist, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "5/min"})
    anonymous = APIClient()
    statuses = [anonymous.get("/api/collections/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert anonymous.get("/api/collections/").json()["error"]["code"] == "throttled"
    signed_in = APIClient()
    signed_in.force_authenticate(archivist)
    assert signed_in.get("/api/collections/").status_code == 200


def test_the_api_answers_while_the_throttle_counts_cannot_be_reached(archivist, settings):
    # The counts live in Redis; a Redis restart (the fault-and-load benchmark) answered 500 here.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    assert APIClient().get("/api/collections/").status_code == 200
    response = APIClient().post("/api/auth/token/", {"username": archivist.username, "password": "pw-" + archivist.username})
    assert response.status_code == 200 and response.json()["token"]
