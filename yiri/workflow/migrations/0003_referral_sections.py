"""Referrals record the case sections they share, and every existing share gets the
explicit permit it stands for (an assignment: the role's rights; a referral or pending
transfer: what its state allows), as workflow.services now writes them."""

from django.db import migrations, models

REFERRAL_SECTIONS = ["basic_identity", "consent", "protection_concerns", "services_section",
                     "followup"]
DECIDE = ["basic_identity", "protection_concerns", "services_section"]


def give_shares_their_permits(apps, schema_editor):
    RecordShare = apps.get_model("cases", "RecordShare")
    Referral = apps.get_model("workflow", "Referral")
    by_share = {r.share_id: r for r in Referral.objects.exclude(share_id=None)}
    for share in RecordShare.objects.all():
        referral = by_share.get(share.pk)
        if share.kind == "assigned" or referral is None:
            permit = (["*"], ["*"], ["*"], {}, [])
        elif referral.kind == "transfer":
            referral.sections = ["*"]
            referral.save(update_fields=["sections"])
            permit = (["*"], [], ["view"], {}, [])
        else:
            referral.sections = REFERRAL_SECTIONS
            referral.save(update_fields=["sections"])
            if referral.status == "in_progress":
                permit = (DECIDE, [], ["view"], {}, [])
            else:
                rows = {"services": [str(referral.service_row_id)]} if referral.service_row_id else {}
                permit = (REFERRAL_SECTIONS, [], ["view", "edit"], rows, ["followups"])
        (share.sections_read, share.sections_write, share.actions, share.rows_write,
         share.rows_add) = permit
        share.save(update_fields=["sections_read", "sections_write", "actions", "rows_write",
                                  "rows_add"])


class Migration(migrations.Migration):

    dependencies = [
        ("workflow", "0002_french_labels"),
        ("cases", "0005_share_permits"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="sections",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(give_shares_their_permits, migrations.RunPython.noop),
    ]
