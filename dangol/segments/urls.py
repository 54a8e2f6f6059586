from django.urls import path

from dangol.segments import views

app_name = "segments"
urlpatterns = [
    path("retention/", views.retention, name="retention"),
]
