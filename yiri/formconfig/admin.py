from django.contrib import admin

from .models import Field, FormSection, Lookup, LookupValue


class LookupValueInline(admin.TabularInline):
    model = LookupValue
    fields = ("code", "label_fr", "label_en", "order", "disabled")
    extra = 1


@admin.register(Lookup)
class LookupAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fr", "name_en")
    search_fields = ("code", "name_fr")
    inlines = [LookupValueInline]


class FieldInline(admin.StackedInline):
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
class FormSectionAdmin(admin.ModelAdmin):
    list_display = ("name_fr", "code", "record_type", "order", "is_subform", "visible")
    list_filter = ("record_type", "is_subform")
    search_fields = ("code", "name_fr")
    inlines = [FieldInline]
