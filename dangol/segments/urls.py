from django.urls import path

from dangol.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_new, name="new"),
    path("count/", views.live_count, name="count"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/export.<str:fmt>", views.segment_export, name="export"),
    path("retention/", views.retention, name="retention"),
    path("scoring/", views.scoring_runs, name="scoring_runs"),
    path("scoring/start/", views.scoring_start, name="scoring_start"),
    path("scoring/<int:pk>/", views.scoring_run, name="scoring_run"),
    path("scoring/<int:pk>/resume/", views.scoring_resume, name="scoring_resume"),
]
