from django.urls import path

from dangol.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("new/", views.schedule_new, name="new"),
    path("<int:pk>/", views.schedule_detail, name="detail"),
    path("<int:pk>/edit/", views.schedule_edit, name="edit"),
    path("<int:pk>/send/", views.schedule_send, name="send"),
    path("<int:pk>/delete/", views.schedule_delete, name="delete"),
    path("<int:pk>/preview.pdf", views.schedule_preview, name="preview"),
    path("runs/<int:pk>/report.pdf", views.run_pdf, name="run_pdf"),
]
