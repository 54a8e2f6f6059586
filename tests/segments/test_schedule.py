from dangol.config.celery import app as celery_app


def test_scoring_runs_nightly_through_a_registered_task():
    entry = celery_app.conf.beat_schedule["score-customers-nightly"]
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {3}
