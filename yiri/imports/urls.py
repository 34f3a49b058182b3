from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<uuid:batch_id>/", views.batch_page, name="imports_batch"),
    path("imports/<uuid:batch_id>/colonnes/", views.mapping, name="imports_mapping"),
    path("imports/<uuid:batch_id>/importer/", views.run, name="imports_run"),
]
