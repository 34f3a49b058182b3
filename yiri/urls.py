from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# Without these the admin greets a French user with "Administration de Django".
admin.site.site_header = _("Administration de Yiri")
admin.site.site_title = _("Administration de Yiri")
admin.site.index_title = _("Tableau de bord de l'administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("yiri.api.urls")),
    path("", include("yiri.web.urls")),
]
