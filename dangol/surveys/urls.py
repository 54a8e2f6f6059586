from django.urls import path

from dangol.surveys.views import builder

app_name = "surveys"
urlpatterns = [
    path("", builder.survey_list, name="list"),
]
