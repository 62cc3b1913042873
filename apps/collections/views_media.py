"""Master and derivative files, streamed only after the visibility check: there is no
public media folder. Session and API-token users are both recognised
(archive_site.auth)."""
from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpResponseForbidden, HttpResponseNotModified
from django.views.decorators.http import require_safe

from .access import media_refusal, photograph_access
from .selectors import photograph_get

KINDS = ("master", "display", "thumbnail")


@require_safe
def photograph_media(request, pk: int, kind: str):
    if kind not in KINDS:
        raise Http404("No such file kind.")
    photograph = photograph_get(user=request.user, pk=pk)
    file = getattr(photograph, kind)
    if not file:
        raise Http404("Not built yet.")
    refusal = media_refusal(photograph, kind, photograph_access(photograph, request.user))
    if refusal:
        # The record is visible, so say why the file is not (docs/ARCHIVE.md, "Access").
        return HttpResponseForbidden(refusal, content_type="text/plain; charset=utf-8")
    etag = f'"{photograph.sha256}"' if kind == "master" else f'"{photograph.sha256[:16]}-{kind}-{file.name.rsplit("/", 1)[-1]}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    filename = photograph.original_filename if kind == "master" else None
    response = FileResponse(file.open("rb"), content_type=content_type, filename=filename)
    response["ETag"] = etag
    # private: a cache shared between users must not keep what one of them may see.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
