"""Pagination of every API list: page numbers, a `page_size` the client may choose up to a
bound, and RFC 8288 `Link` headers (first, prev, next, last) beside the body's links, so a
harvester can walk a list from the headers alone."""
from __future__ import annotations

from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param


class ArchivePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        links = self.link_relations()
        if links:
            response["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links)
        return response

    def link_relations(self) -> list[tuple[str, str]]:
        url = self.request.build_absolute_uri()
        page = self.page
        last = page.paginator.num_pages
        links = [("first", remove_query_param(url, self.page_query_param))]
        if page.has_previous():
            links.append(("prev", self.get_previous_link()))
        if page.has_next():
            links.append(("next", self.get_next_link()))
        links.append(("last", replace_query_param(url, self.page_query_param, last) if last > 1 else links[0][1]))
        return links
