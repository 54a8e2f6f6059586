from django.urls import path

from dangol.loyalty import views

app_name = "loyalty"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("rules/", views.add_rule, name="add_rule"),
    path("tiers/", views.add_tier, name="add_tier"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/", views.member, name="member"),
    path("card/<str:token>/", views.card, name="card"),
]
