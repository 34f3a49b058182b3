from __future__ import annotations

from django.urls import path

from . import review_views, views

urlpatterns = [
    path("doublons/", views.runs, name="matching_runs"),
    path("doublons/progression/", views.progress, name="matching_progress"),
    path("doublons/lancer/", views.start, name="matching_start"),
    path("doublons/<int:run_id>/", views.run_detail, name="matching_run"),
    path("doublons/a-examiner/", review_views.queue, name="matching_queue"),
    path("doublons/verifier/", review_views.check, name="matching_live_check"),
    path("doublons/questions/", review_views.questions, name="matching_questions"),
    path("doublons/recherche-familiale/", review_views.run_tracing, name="matching_tracing_run"),
    path("doublons/<uuid:pk>/", review_views.pair, name="matching_pair"),
    path("doublons/<uuid:pk>/decision/", review_views.decide, name="matching_decide"),
    path("doublons/fusions/<uuid:merge_id>/annuler/", review_views.undo, name="matching_undo"),
]
