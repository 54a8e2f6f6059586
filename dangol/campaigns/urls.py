from django.urls import path

from dangol.campaigns import journey_views, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_edit, name="new"),
    path("preview/", views.preview, name="preview"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/test/", views.send_test, name="test"),
    path("journeys/", journey_views.journey_list, name="journeys"),
    path("journeys/new/", journey_views.journey_edit, name="journey_new"),
    path("journeys/<int:pk>/", journey_views.journey_detail, name="journey_detail"),
    path("journeys/<int:pk>/edit/", journey_views.journey_edit, name="journey_edit"),
    path("journeys/<int:pk>/active/", journey_views.journey_active, name="journey_active"),
]
