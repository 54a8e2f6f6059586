from django.urls import path

from dangol.engagement import views

app_name = "engagement"
urlpatterns = [
    path("messages/", views.message_list, name="messages"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("providers/<str:provider>/status", views.provider_status, name="provider_status"),
    path("providers/<str:provider>/inbound", views.provider_inbound, name="provider_inbound"),
]
