from django.urls import path

from dangol.surveys import public, qr, widget

app_name = "survey_public"
urlpatterns = [
    path("s/<str:slug>/", public.anonymous, name="anonymous"),
    path("s/<str:slug>/logo", public.brand_logo, name="logo"),
    path("s/<str:slug>/qr.svg", qr.survey_qr_svg, name="qr_svg"),
    path("w/<str:slug>.js", widget.script, name="widget_script"),
    path("w/<str:slug>/survey.json", widget.survey_json, name="widget_survey"),
    path("w/<str:slug>/responses", widget.responses, name="widget_responses"),
    path("i/<str:token>/", public.invitation, name="invitation"),
]
