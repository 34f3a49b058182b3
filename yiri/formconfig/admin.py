from django.contrib import admin

from yiri.sync.admin import SyncedAdmin, SyncedStackedInline, SyncedTabularInline

from .models import Field, FormSection, Lookup, LookupValue


class LookupValueInline(SyncedTabularInline):
    model = LookupValue
    fields = ("code", "label_fr", "label_en", "order", "disabled")
    extra = 1


@admin.register(Lookup)
class LookupAdmin(SyncedAdmin):
    list_display = ("code", "name_fr", "name_en")
    search_fields = ("code", "name_fr")
    inlines = [LookupValueInline]


class FieldInline(SyncedStackedInline):
    model = Field
    fk_name = "section"
    extra = 0
    fields = (
        ("code", "type", "order"), ("label_fr", "label_en"), ("help_fr", "help_en"),
        ("required", "identifying", "matchable", "no_future", "decimals"),
        ("lookup", "subform"), ("min_value", "max_value", "max_length"), "visible_if",
    )
    autocomplete_fields = ("lookup",)


@admin.register(FormSection)
class FormSectionAdmin(SyncedAdmin):
    list_display = ("name_fr", "code", "record_type", "order", "is_subform", "visible")
    list_filter = ("record_type", "is_subform")
    search_fields = ("code", "name_fr")
    inlines = [FieldInline]
