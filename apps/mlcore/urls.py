"""Portal pages of this app (mounted at /models/)."""
from django.urls import path

from .views import curated_sets, model_versions, training_runs

app_name = "mlcore"
urlpatterns = [
    path("", model_versions.model_versions, name="model-versions"),
    path("<int:pk>/activate/", model_versions.model_version_activate, name="model-version-activate"),
    path("<int:pk>/retire/", model_versions.model_version_retire, name="model-version-retire"),
    path("<int:pk>/benchmark/", model_versions.model_version_benchmark, name="model-version-benchmark"),
    path("runs/<int:pk>/", training_runs.training_run_detail, name="training-run"),
    path("runs/<int:pk>/cancel/", training_runs.training_run_cancel, name="training-run-cancel"),
    path("runs/<int:pk>/rerun/", training_runs.training_run_rerun, name="training-run-rerun"),
    path("runs/<int:pk>/samples/<int:index>/<str:kind>.jpg", training_runs.training_run_sample, name="training-run-sample"),
    path("sets/", curated_sets.curated_sets, name="curated-sets"),
    path("sets/<int:pk>/", curated_sets.curated_set_detail, name="curated-set"),
    path("sets/<int:pk>/add/", curated_sets.curated_set_add, name="curated-set-add"),
    path("sets/<int:pk>/search/", curated_sets.curated_set_search, name="curated-set-search"),
    path("sets/<int:pk>/colorizations/", curated_sets.curated_set_variants, name="curated-set-variants"),
    path("sets/<int:pk>/remove/", curated_sets.curated_set_remove, name="curated-set-remove"),
    path("sets/<int:pk>/freeze/", curated_sets.curated_set_freeze, name="curated-set-freeze"),
    path("sets/<int:pk>/delete/", curated_sets.curated_set_delete, name="curated-set-delete"),
    path("sets/<int:pk>/retrain/", curated_sets.curated_set_retrain, name="curated-set-retrain"),
    path("curated-items/<int:pk>/thumbnail/", curated_sets.curated_item_thumbnail, name="curated-item-thumbnail"),
]
