"""API routes of this app: (prefix, viewset, basename) triples joined into one router in
archive_site/api_urls.py, plus any plain urlpatterns."""
routes: list = []
urlpatterns: list = []
