from django.urls import path

from dangol.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:user_id>/", views.update_staff, name="update_staff"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("audit-log/", views.audit_log, name="audit_log"),
]
