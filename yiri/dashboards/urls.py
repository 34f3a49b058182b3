from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("indicators/", views.indicator_page, name="indicators"),
    path("indicators/indicators.csv", views.indicator_csv, name="indicators_csv"),
    path("indicators/indicators.xlsx", views.indicator_xlsx, name="indicators_xlsx"),
]
