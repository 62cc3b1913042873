"""The portal frame: navigation per role, the signed-in user, login/logout, the account page."""
import pytest
from django.contrib.messages import get_messages
from rest_framework.authtoken.models import Token


def _nav(response) -> list[str]:
    html = response.content.decode()
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return [label for label in ("Collections", "Search", "Upload", "Review queue", "Model versions", "Admin") if f">{label}</a>" in nav]


@pytest.mark.django_db
def test_anonymous_visitors_see_public_links_and_log_in(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert _nav(response) == ["Collections", "Search"]
    assert "Log in</a>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("viewer", ["Collections", "Search"]),
        ("archivist", ["Collections", "Search", "Upload"]),
        ("colorist", ["Collections", "Search", "Review queue"]),
        ("curator", ["Collections", "Search", "Model versions"]),
        ("superuser", ["Collections", "Search", "Upload", "Review queue", "Model versions", "Admin"]),
    ],
)
def test_navigation_shows_each_role_what_it_can_use(request, client, fixture, expected):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    response = client.get("/accounts/")
    assert response.status_code == 200
    assert _nav(response) == expected
    assert 'class="site-user__name" href="/accounts/"' in response.content.decode()
    assert f">{user.get_username()}</a>" in response.content.decode()


@pytest.mark.django_db
def test_login_and_logout_through_the_forms(client, colorist):
    response = client.post("/accounts/login/", {"username": "cora", "password": "pw-cora", "next": "/accounts/"})
    assert response.status_code == 302 and response.url == "/accounts/"
    assert client.get("/accounts/").context["user"] == colorist

    bad = client.post("/accounts/login/", {"username": "cora", "password": "nope"})
    assert bad.status_code == 200 and "form__errors" in bad.content.decode()

    client.post("/accounts/logout/")
    assert client.get("/accounts/").status_code == 302


@pytest.mark.django_db
def test_account_page_needs_login(client):
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/accounts/")


@pytest.mark.django_db
def test_account_page_creates_and_replaces_the_api_token(client, archivist):
    client.force_login(archivist)
    assert "Create token" in client.get("/accounts/").content.decode()

    response = client.post("/accounts/token/")
    assert response.status_code == 302
    first = Token.objects.get(user=archivist).key
    assert [str(m) for m in get_messages(response.wsgi_request)]
    page = client.get("/accounts/").content.decode()
    assert first in page and "Replace token" in page

    client.post("/accounts/token/")
    assert Token.objects.get(user=archivist).key != first
    assert client.get("/accounts/token/").status_code == 405


@pytest.mark.django_db
def test_pages_load_only_local_static_files(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/static/css/site.css"' in html
    assert "https://" not in html.split("<body", 1)[0]


@pytest.mark.django_db
def test_django_admin_and_rq_dashboard_are_for_staff(client, superuser):
    assert client.get("/admin/").status_code == 302
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/rq/").status_code == 200
    client.logout()
    assert client.get("/admin/rq/").status_code == 302
