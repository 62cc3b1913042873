"""Small helpers the archive's portal views share: thumbnails, the parts other apps add to
the archive's pages. (Permission checks and pagination are every app's: archive_site.portal.)"""
from __future__ import annotations

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from apps.collections.iiif_presentation import THUMBNAIL_BOX, photograph_image_path

# Added by the colorize app: a form that colorizes the photographs ticked on a page listing them.
COLORIZE_BATCH_FORM = "colorize/includes/batch_form.html"
COLORIZE_BATCH_PERMISSION = "colorize.add_colorizationrequest"


def thumbnail_url(photograph) -> str:
    """The built thumbnail, or the IIIF service while the derivatives job has not run."""
    if photograph.thumbnail:
        return photograph.media_url("thumbnail")
    return photograph_image_path(photograph, THUMBNAIL_BOX)


def with_thumbnails(photographs) -> list:
    photographs = list(photographs)
    for photograph in photographs:
        photograph.thumbnail_url = thumbnail_url(photograph)
    return photographs


def optional_template(name: str) -> str | None:
    """`name` if some installed app provides that template (the archive does not depend on them)."""
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def colorize_batch_form(request) -> str | None:
    """The batch colorize form for a page listing photographs, when the colorize app provides
    it and the user may request colorizations; the page's cards then get checkboxes."""
    if not request.user.has_perm(COLORIZE_BATCH_PERMISSION):
        return None
    return optional_template(COLORIZE_BATCH_FORM)
