from django.urls import path

from dangol.campaigns import views

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
]
