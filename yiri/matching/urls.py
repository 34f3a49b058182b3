from __future__ import annotations

from django.urls import path

from . import views

urlpatterns: list = [
    path("doublons/", views.queue, name="matching_queue"),
    path("doublons/verifier/", views.check, name="matching_live_check"),
    path("doublons/questions/", views.questions, name="matching_questions"),
    path("doublons/recherche-familiale/", views.run_tracing, name="matching_tracing_run"),
    path("doublons/<uuid:pk>/", views.pair, name="matching_pair"),
    path("doublons/<uuid:pk>/decision/", views.decide, name="matching_decide"),
    path("doublons/fusions/<uuid:merge_id>/annuler/", views.undo, name="matching_undo"),
]
