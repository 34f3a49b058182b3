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
    path("", include("yiri.web.urls")),
]
