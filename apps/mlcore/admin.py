from django.contrib import admin

from .models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "weights_sha256", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "version", "weights_sha256"]
    readonly_fields = ["weights_sha256", "created_at", "activated_at"]
