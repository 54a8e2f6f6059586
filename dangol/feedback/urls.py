from django.urls import path

from dangol.feedback import hub_views, views

app_name = "feedback"
urlpatterns = [
    path("", hub_views.stream, name="stream"),
    path("items/<int:pk>/", hub_views.item_detail, name="item"),
    path("import/", hub_views.import_items, name="import_items"),
    path("themes/", views.taxonomy_page, name="taxonomy"),
    path("themes/new/", views.theme_new, name="theme_new"),
    path("themes/try/", views.sample, name="sample"),
    path("themes/reset/", views.taxonomy_reset, name="reset"),
    path("themes/export.json", views.taxonomy_export, name="export"),
    path("themes/import/", views.taxonomy_import, name="import"),
    path("themes/reanalyse/", views.reanalyse, name="reanalyse"),
    path("themes/reanalyse/<int:pk>/", views.reanalysis_job, name="reanalysis_job"),
    path("themes/<slug:name>/edit/", views.theme_edit, name="theme_edit"),
    path("themes/<slug:name>/enable/", views.theme_enable, name="theme_enable"),
    path("themes/<slug:name>/move/", views.theme_move, name="theme_move"),
    path("themes/<slug:name>/delete/", views.theme_delete, name="theme_delete"),
]
