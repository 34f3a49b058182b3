from django.urls import path

from .pages import RECORD_SLUGS
from .views import (
    account,
    attachments,
    home,
    locations,
    nodes,
    notes,
    printing,
    records,
    search,
    sync,
    workflow,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.logout_view, name="logout"),
    path("i18n/setlang/", account.set_language, name="set_language"),
    path("search/", search.search, name="search"),
    path("places/", locations.location_options, name="location_options"),
    path("cases/assign/", records.bulk_assign, name="bulk_assign"),
    path("cases/export.csv", records.case_export, name="case_export"),
    path("cases/<uuid:pk>/assign/", records.assign, name="assign"),
    path("cases/<uuid:pk>/approval/", workflow.request_approval, name="request_approval"),
    path("cases/<uuid:pk>/refer/", workflow.refer, name="refer"),
    path("cases/<uuid:pk>/transfer/", workflow.transfer, name="transfer"),
    path("cases/<uuid:pk>/reopen/", workflow.reopen, name="reopen"),
    path("approvals/<uuid:approval_id>/decide/", workflow.decide_approval, name="decide_approval"),
    path("referrals/<uuid:referral_id>/respond/", workflow.respond_referral, name="respond_referral"),
    path("referrals/<uuid:referral_id>/complete/", workflow.complete_referral,
         name="complete_referral"),
    path("referrals/<uuid:referral_id>/revoke/", workflow.revoke_referral, name="revoke_referral"),
    path("notifications/read/", workflow.mark_notifications_read, name="notifications_read"),
    path("sync/conflicts/", sync.conflicts, name="sync_conflicts"),
    path("sync/conflicts/<uuid:conflict_id>/resolve/", sync.resolve_conflict,
         name="resolve_conflict"),
    path("sync/status/", sync.status, name="sync_status"),
    path("sync/nodes/", nodes.nodes, name="sync_nodes"),
    path("sync/nodes/enrol/", nodes.enrol_node, name="sync_node_enrol"),
    path("sync/nodes/<str:node_id>/revoke/", nodes.revoke_node, name="sync_node_revoke"),
    path("sync/status/run/", sync.sync_now, name="sync_now"),
    path("sync/status/progress/", sync.sync_progress, name="sync_progress"),
]

for slug, record_type in RECORD_SLUGS.items():
    kw = {"record_type": record_type}
    name = "case_list" if record_type == "case" else f"{slug}_list"
    urlpatterns += [
        path(f"{slug}/", records.record_list, kw, name=name),
        path(f"{slug}/new/", records.register, kw, name=f"{slug}_new"),
        path(f"{slug}/<uuid:pk>/", records.record_page, kw, name=f"{slug}_record"),
        path(f"{slug}/<uuid:pk>/history/", records.history, kw, name=f"{slug}_history"),
        path(f"{slug}/<uuid:pk>/section/<slug:code>/", records.section, kw, name=f"{slug}_section"),
        path(f"{slug}/<uuid:pk>/section/<slug:code>/rows/<slug:subform>/", records.row, kw,
             name=f"{slug}_row"),
        path(f"{slug}/<uuid:pk>/notes/", notes.notes, kw, name=f"{slug}_notes"),
        path(f"{slug}/<uuid:pk>/flags/", notes.flag, kw, name=f"{slug}_flags"),
        path(f"{slug}/<uuid:pk>/flags/<uuid:flag_id>/remove/", notes.unflag, kw,
             name=f"{slug}_flag_remove"),
        path(f"{slug}/<uuid:pk>/attachments/", attachments.upload, kw, name=f"{slug}_attachments"),
        path(f"{slug}/<uuid:pk>/attachments/<uuid:attachment_id>/", attachments.download, kw,
             name=f"{slug}_attachment"),
        path(f"{slug}/<uuid:pk>/attachments/<uuid:attachment_id>/thumbnail/",
             attachments.thumbnail, kw, name=f"{slug}_attachment_thumbnail"),
        path(f"{slug}/<uuid:pk>/attachments/<uuid:attachment_id>/remove/", attachments.remove,
             kw, name=f"{slug}_attachment_remove"),
        path(f"{slug}/<uuid:pk>/print/", printing.print_record, kw, name=f"{slug}_print"),
    ]
