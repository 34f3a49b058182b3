"""Administration of synchronised tables: a removal is a tombstone that travels.

The admin's "delete" on a synchronised row would hard-delete it on this node only (and
the change log refuses it): these bases turn it into ``sync.log.tombstone`` and leave
tombstoned rows out of the lists. Inlines of synchronised rows cannot delete (retire a
lookup value with its "disabled" box instead). Saves go through ``save`` as everywhere:
the change log carries them, with the administrator as author.
"""

from __future__ import annotations

from django.contrib import admin

from .log import tombstone


class SyncedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted=False)

    def delete_model(self, request, obj):
        tombstone(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            tombstone(request.user, obj)


class SyncedTabularInline(admin.TabularInline):
    can_delete = False


class SyncedStackedInline(admin.StackedInline):
    can_delete = False
