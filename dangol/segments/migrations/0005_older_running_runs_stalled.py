"""Before at most one run may be running: runs left running beside a newer one are stalled.

Such a run can only be a leftover of a worker that stopped; it is marked stalled
with the reason, and can be resumed from the scoring runs page.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def stall_older_running_runs(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ScoringRun = apps.get_model("segments", "ScoringRun")
    running = list(ScoringRun.objects.filter(status="running").order_by("-started_at", "-pk")
                   .values_list("pk", flat=True))
    ScoringRun.objects.filter(pk__in=running[1:]).update(
        status="stalled", error_code="worker_lost",
        error="left running when a newer run started")


class Migration(migrations.Migration):

    dependencies = [
        ("segments", "0004_scoring_leases"),
    ]

    operations = [
        migrations.RunPython(stall_older_running_runs, migrations.RunPython.noop),
    ]
