from django.urls import path

from dangol.surveys import public

app_name = "survey_public"
urlpatterns = [
    path("s/<str:slug>/", public.anonymous, name="anonymous"),
    path("s/<str:slug>/logo", public.brand_logo, name="logo"),
    path("i/<str:token>/", public.invitation, name="invitation"),
]
