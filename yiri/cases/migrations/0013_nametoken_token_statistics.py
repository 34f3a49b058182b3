"""PostgreSQL keeps the frequency of up to 10,000 search tokens (the most the planner
allows) instead of 100.

With 100, a token outside the list is priced at the average frequency of the others: a
name search's typo keys, which few or no records hold, then look common, and the planner
walks every case in scope by date, looking each one up in the token index, instead of
reading the few records holding the tokens (4.8 s at 60,000 cases for a prefix no name
has, against under 20 ms). ANALYZE reads 3,000,000 sampled rows instead of 30,000
(about 10 s at 1,000,000 cases). SQLite has no such statistics: nothing to do there.
"""

from django.db import migrations

SET = "ALTER TABLE cases_nametoken ALTER COLUMN token SET STATISTICS 10000"
RESET = "ALTER TABLE cases_nametoken ALTER COLUMN token SET STATISTICS -1"


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_case_dashboard_columns")]

    operations = [migrations.RunPython(_run(SET), _run(RESET))]
