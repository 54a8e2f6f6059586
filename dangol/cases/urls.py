from django.urls import path

from dangol.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.case_new, name="new"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:pk>/", views.rules, name="rule"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/action/", views.case_action, name="action"),
]
