from django.urls import path

from dangol.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("<int:endpoint_id>/replay/", views.replay, name="replay"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/resend/", views.resend, name="resend"),
    path("<int:endpoint_id>/test/", views.send_test, name="send_test"),
    path("<int:endpoint_id>/rotate-secret/", views.rotate_secret, name="rotate_secret"),
    path("<int:endpoint_id>/delete/", views.delete, name="delete"),
]
