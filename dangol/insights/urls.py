from django.urls import path

from dangol.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/new/", views.rule_new, name="rule_new"),
    path("alerts/<int:pk>/", views.rule_detail, name="rule"),
    path("alerts/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("alerts/<int:pk>/test/", views.rule_test, name="rule_test"),
    path("alerts/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
]
