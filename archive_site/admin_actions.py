"""What the admin actions (and read-only admins) of every app share."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError


def for_each_selected(modeladmin, request, queryset, call, done: str, *, refusals: tuple = (ValidationError,)) -> None:
    """`call(obj)` (a service) for every selected row. A refusal (one of `refusals`) is
    reported with the row it concerns and the others carry on; then one success line."""
    count = 0
    for obj in queryset:
        try:
            call(obj)
        except refusals as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"{obj}: {text}", messages.WARNING)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{done}: {count}.", messages.SUCCESS)


class ReadOnlyAdmin:
    """A ModelAdmin mixin for records the services write (histories): viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
