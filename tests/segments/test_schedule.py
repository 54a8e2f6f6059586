from dangol.config.celery import app as celery_app


def test_scoring_runs_nightly_through_a_registered_task():
    entry = celery_app.conf.beat_schedule["score-customers-nightly"]
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {3}


def test_the_stalled_run_check_runs_every_few_minutes_through_a_registered_task(settings):
    entry = celery_app.conf.beat_schedule["reclaim-stalled-scoring"]
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == set(range(24))
    # A claim outlives two checks, so a chunk is not queued again between two renewals.
    interval_seconds = 3600 // len(entry["schedule"].minute)
    assert 2 * interval_seconds <= settings.SCORING_LEASE_SECONDS
