from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("directory/", views.site_list, name="directory"),
    path("directory/export.<str:fmt>", views.site_export, name="directory_export"),
    path("directory/map/", views.site_map, name="directory_map"),
    path("directory/new/", views.site_edit, name="directory_site_new"),
    path("directory/sites/<str:pk>/", views.site_detail, name="directory_site"),
    path("directory/sites/<str:pk>/edit/", views.site_edit, name="directory_site_edit"),
    path("directory/sites/<str:site_pk>/people/new/", views.person_edit, name="directory_person_new"),
    path("directory/people/", views.people_list, name="directory_people"),
    path("directory/people/<str:pk>/edit/", views.person_edit, name="directory_person_edit"),
    path("directory/trainings/", views.training_list, name="directory_trainings"),
    path("directory/trainings/new/", views.training_edit, name="directory_training_new"),
    path("directory/trainings/report/", views.training_report, name="directory_report"),
    path("directory/trainings/<str:pk>/", views.training_detail, name="directory_training"),
    path("directory/trainings/<str:pk>/edit/", views.training_edit, name="directory_training_edit"),
    path("directory/participants/<str:participant_pk>/commitments/new/", views.commitment_edit,
         name="directory_commitment_new"),
    path("directory/commitments/<str:pk>/edit/", views.commitment_edit,
         name="directory_commitment_edit"),
    path("directory/inventories/", views.round_list, name="directory_rounds"),
    path("directory/inventories/<str:pk>/", views.round_detail, name="directory_round"),
    path("directory/inventories/<str:pk>/sites/<str:site_pk>/", views.round_fill,
         name="directory_round_fill"),
]
