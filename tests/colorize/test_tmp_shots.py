import pytest
from apps.colorize import services
pytestmark = [pytest.mark.django_db(transaction=True)]

def test_shots(page, live_server, login, colorist, tiny_model, colour_photograph, rq_worker):
    r = services.colorization_request_create(photograph=colour_photograph, user=colorist, seeds=[1, 2, 3])
    rq_worker()
    services.colorization_request_create(photograph=colour_photograph, user=colorist, seeds=[7])
    v = r.variants.order_by("seed").first()
    services.annotation_create(variant=v, user=colorist, text="sky too purple", region={"x": 0.1, "y": 0.1, "w": 0.3, "h": 0.2})
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, colorist, next_url=f"/photographs/{colour_photograph.pk}/")
    page.screenshot(path="/tmp/shot-photo.png", full_page=True)
    page.goto(f"/colorize/photographs/{colour_photograph.pk}/"); page.screenshot(path="/tmp/shot-colorize.png", full_page=True)
    page.goto(f"/colorize/variants/{v.pk}/"); page.wait_for_timeout(2500); page.screenshot(path="/tmp/shot-variant.png", full_page=True)
    page.goto("/colorize/review/"); page.screenshot(path="/tmp/shot-review.png", full_page=True)
    page.goto(f"/colorize/requests/{r.pk}/"); page.screenshot(path="/tmp/shot-request.png", full_page=True)
