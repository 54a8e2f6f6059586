from django.urls import path

from dangol.loyalty import views

app_name = "loyalty"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("rules/", views.add_rule, name="add_rule"),
    path("rules/<int:pk>/", views.edit_rule, name="edit_rule"),
    path("tiers/", views.add_tier, name="add_tier"),
    path("tiers/<int:pk>/", views.edit_tier, name="edit_tier"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_edit, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/state/", views.campaign_state, name="campaign_state"),
    path("rewards/", views.campaigns, name="rewards"),
    path("events/", views.events, name="events"),
    path("events/<int:pk>/", views.event, name="event"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/", views.member, name="member"),
    path("card/<str:token>/", views.card, name="card"),
]
