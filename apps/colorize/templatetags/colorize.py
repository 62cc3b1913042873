"""Template helpers of the colorize pages, and the panel the photograph page includes."""
from __future__ import annotations

from django import template
from django.urls import reverse

from .. import selectors
from ..forms import BatchColorizeForm, ColorizeOptionsForm

register = template.Library()


@register.inclusion_tag("colorize/includes/panel.html", takes_context=True)
def colorize_panel(context, photograph):
    """The photograph page's colorization panel: the approved colorization for everyone who
    may see it; for colorists also the request form and the latest requests, live."""
    request = context["request"]
    user = request.user
    summary = selectors.photograph_colorization_summary(user=user, photograph=photograph, recent=5)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "photograph": photograph,
        "approved": summary["approved"],
        "requests": summary["requests"],
        "variant_count": summary["variant_count"],
        "can_see_all": selectors.can_see_all_variants(user),
        "form": ColorizeOptionsForm() if selectors.can_request(user) else None,
        "next": request.get_full_path(),
    }


@register.inclusion_tag("colorize/includes/batch_form_fields.html", takes_context=True)
def batch_colorize_form(context, source: str = ""):
    """The form that colorizes the photographs ticked on a page that lists them (search
    results, a collection): the page's checkboxes name it with form="batch-colorize"."""
    return {
        "csrf_token": context.get("csrf_token"),
        "form": BatchColorizeForm(initial={"source": source}),
    }


@register.filter
def duration(seconds) -> str:
    """Seconds as "4 s", "2 min 05 s", "1 h 02 min"."""
    if seconds is None:
        return "—"
    seconds = int(round(float(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def percent(fraction) -> str:
    return f"{round(float(fraction or 0) * 100)} %"


@register.simple_tag
def request_api_url(colorization_request) -> str:
    return reverse("colorization-requests-detail", args=[colorization_request.pk])


@register.filter
def css_percent(fraction) -> str:
    """A 0–1 fraction as a CSS percentage, for drawing a region over an image."""
    return f"{float(fraction) * 100:.3f}%"
