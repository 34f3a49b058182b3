from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("doublons/", views.runs, name="matching_runs"),
    path("doublons/progression/", views.progress, name="matching_progress"),
    path("doublons/lancer/", views.start, name="matching_start"),
    path("doublons/<int:run_id>/", views.run_detail, name="matching_run"),
]
