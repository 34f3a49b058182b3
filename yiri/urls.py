from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from yiri.sync import views as sync_views

# Without these the admin greets a French user with "Administration de Django".
admin.site.site_header = _("Administration de Yiri")
admin.site.site_title = _("Administration de Yiri")
admin.site.index_title = _("Tableau de bord de l'administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("yiri.api.urls")),
    path("sync/v1/exchange", sync_views.exchange, name="sync-exchange"),
    path("sync/v1/backup", sync_views.backup_upload, name="sync-backup"),
    path("", include("yiri.dashboards.urls")),
    path("", include("yiri.matching.urls")),
    path("", include("yiri.directory.urls")),
    path("", include("yiri.imports.urls")),
    path("", include("yiri.jobs.urls")),
    path("", include("yiri.web.urls")),
]

# JSON under /api/ (yiri/api/errors.py), Django's pages elsewhere.
handler404 = "yiri.api.errors.not_found"
handler500 = "yiri.api.errors.server_error"
