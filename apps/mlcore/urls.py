"""Portal pages of this app (mounted at /models/)."""
from django.urls import path

from . import views

app_name = "mlcore"
urlpatterns = [
    path("", views.model_versions, name="model-versions"),
    path("<int:pk>/activate/", views.model_version_activate, name="model-version-activate"),
    path("<int:pk>/retire/", views.model_version_retire, name="model-version-retire"),
    path("runs/<int:pk>/", views.training_run_detail, name="training-run"),
    path("runs/<int:pk>/cancel/", views.training_run_cancel, name="training-run-cancel"),
    path("runs/<int:pk>/rerun/", views.training_run_rerun, name="training-run-rerun"),
    path("runs/<int:pk>/samples/<int:index>/<str:kind>.jpg", views.training_run_sample, name="training-run-sample"),
    path("curated-items/<int:pk>/thumbnail/", views.curated_item_thumbnail, name="curated-item-thumbnail"),
]
