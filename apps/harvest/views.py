"""Harvesting endpoints: OAI-PMH at /oai. Parse the arguments, call the protocol, render."""
from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import oai


@csrf_exempt  # OAI-PMH harvesters POST form-encoded arguments (§3.1.1.2); nothing is written
@require_http_methods(["GET", "HEAD", "POST"])
def oai_endpoint(request):
    arguments = request.POST if request.method == "POST" else request.GET
    document = oai.handle(
        {name: arguments.getlist(name) for name in arguments},
        base_url=request.build_absolute_uri(request.path), absolute=request.build_absolute_uri,
    )
    return HttpResponse(document, content_type="text/xml; charset=utf-8")
