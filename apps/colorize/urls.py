"""Portal pages of this app (under /colorize/)."""
from django.urls import path

from . import views

app_name = "colorize"
urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("bulk/", views.bulk_request, name="bulk"),
    path("batches/new/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("photographs/<int:pk>/", views.photograph_colorize, name="photograph"),
    path("photographs/<int:pk>/compare/", views.compare, name="compare"),
    path("photographs/<int:pk>/request/", views.request_create, name="request-create"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("variants/<int:pk>/", views.variant_detail, name="variant"),
    path("variants/<int:pk>/annotations/", views.annotation_create, name="annotation-create"),
    path("variants/<int:pk>/<str:action>/", views.variant_review, name="variant-review"),
]
