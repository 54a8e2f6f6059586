from django.urls import path

from dangol.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("import/", views.import_page, name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/rejects.csv", views.import_rejects, name="import_rejects"),
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
]
