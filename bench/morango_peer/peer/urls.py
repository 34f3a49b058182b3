"""Morango's sync API (``/api/morango/v1/``), nothing else."""

from django.urls import include, path

urlpatterns = [path("", include("morango.urls"))]
