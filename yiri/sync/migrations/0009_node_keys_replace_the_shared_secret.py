"""Node keys replace the shared secret: a peer is known by its public keys, recorded at
enrolment (``manage.py node enrol`` / ``node join``). A peer linked with a secret before
has no keys: its exchanges are refused until it is enrolled again. Revocations travel
(``NodeRevocation``)."""


import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0008_restore'),
    ]

    operations = [
        migrations.CreateModel(
            name='NodeRevocation',
            fields=[
                ('origin_node', models.CharField(default='', editable=False, max_length=64, verbose_name="nœud d'origine")),
                ('deleted', models.BooleanField(default=False, verbose_name='supprimé')),
                ('field_clock', models.JSONField(blank=True, default=dict, editable=False)),
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('node_id', models.CharField(db_index=True, max_length=64, verbose_name='identifiant du nœud')),
                ('code', models.CharField(blank=True, default='', max_length=12, verbose_name='code')),
                ('name', models.CharField(blank=True, default='', max_length=200, verbose_name='nom')),
                ('revoked_at', models.DateTimeField(verbose_name='révoqué le')),
                ('reason', models.TextField(blank=True, default='', verbose_name='motif')),
            ],
            options={
                'verbose_name': 'révocation de nœud',
                'verbose_name_plural': 'révocations de nœuds',
                'ordering': ['-revoked_at'],
            },
        ),
        migrations.RemoveField(
            model_name='peer',
            name='secret',
        ),
        migrations.AddField(
            model_name='peer',
            name='enrolled_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='enrôlé le'),
        ),
        migrations.AddField(
            model_name='peer',
            name='kind',
            field=models.CharField(blank=True, default='', max_length=10, verbose_name='type'),
        ),
        migrations.AddField(
            model_name='peer',
            name='places',
            field=models.JSONField(blank=True, default=list, verbose_name='lieux'),
        ),
    ]
