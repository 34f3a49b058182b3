from django.contrib import admin

from yiri.sync.admin import SyncedAdmin

from .models import Agency, Location, Node, RelayCell


@admin.register(Location)
class LocationAdmin(SyncedAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)


@admin.register(Agency)
class AgencyAdmin(SyncedAdmin):
    list_display = ("name", "acronym", "code", "country")
    search_fields = ("name", "acronym", "code")
    filter_horizontal = ("regions",)


@admin.register(RelayCell)
class RelayCellAdmin(SyncedAdmin):
    list_display = ("name", "code")
    filter_horizontal = ("regions", "members")


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent")
    list_filter = ("kind",)
