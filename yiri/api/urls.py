from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .auth import TokenView
from .records import CaseViewSet, IncidentViewSet, TracingRequestViewSet
from .reference import AgencyListView, FormView, LocationListView, LookupListView
from .users import UserViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("tracing-requests", TracingRequestViewSet, basename="tracing-request")
router.register("users", UserViewSet, basename="user")

v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("forms/<str:record_type>/", FormView.as_view(), name="api-form"),
    path("lookups/", LookupListView.as_view(), name="api-lookups"),
    path("locations/", LocationListView.as_view(), name="api-locations"),
    path("agencies/", AgencyListView.as_view(), name="api-agencies"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Signed-in users only (SERVE_PERMISSIONS); the set-up script is served as a file of
    # its own ("?script"), since the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema",
                                                      template_name="web/api_docs.html"),
         name="api-docs"),
]
