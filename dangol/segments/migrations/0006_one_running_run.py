from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("segments", "0005_older_running_runs_stalled"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='scoringrun',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'running')), fields=('status',), name='scoringrun_one_running'),
        ),
    ]
