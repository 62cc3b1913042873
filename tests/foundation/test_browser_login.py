"""A real browser logs in through the login page and sees who it is in the header."""
import pytest

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_colorist_logs_in_through_the_form_and_sees_their_name_and_links(page, live_server, login, colorist):
    page.goto("/accounts/")
    assert "/accounts/login/" in page.url  # the account page asks for a login first

    login(page, live_server, colorist)

    header = page.locator("header.site-header")
    assert header.locator(".site-user__name").inner_text() == "cora"
    nav = header.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Review queue").is_visible()
    assert nav.get_by_role("link", name="Upload").count() == 0
    assert page.get_by_role("heading", name="Your account").is_visible()

    header.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    page.goto("/accounts/")
    assert "/accounts/login/" in page.url
    assert page.locator("header.site-header").get_by_role("link", name="Log in").is_visible()
