from django.urls import path

from dangol.surveys.views import (
    benchmarks,
    brands,
    builder,
    distribute,
    drivers,
    imports,
    results,
)

app_name = "surveys"
urlpatterns = [
    path("", builder.survey_list, name="list"),
    path("new/", builder.survey_new, name="new"),
    path("brands/", brands.brand_kits, name="brands"),
    path("import/", imports.import_page, name="import"),
    path("benchmarks/", benchmarks.benchmark_list, name="benchmarks"),
    path("benchmarks/compare/", benchmarks.benchmark_compare, name="benchmark_compare"),
    path("benchmarks/<int:pk>/delete/", benchmarks.benchmark_delete, name="benchmark_delete"),
    path("brands/<int:pk>/", brands.brand_kits, name="brand"),
    path("<int:pk>/", builder.survey_detail, name="detail"),
    path("<int:pk>/questions/new/", builder.question_edit, name="question_new"),
    path("<int:pk>/questions/<str:key>/", builder.question_edit, name="question_edit"),
    path("<int:pk>/questions/<str:key>/action/", builder.question_action,
         name="question_action"),
    path("<int:pk>/publish/", builder.survey_publish, name="publish"),
    path("<int:pk>/close/", builder.survey_close, name="close"),
    path("<int:pk>/settings/", builder.survey_settings, name="settings"),
    path("<int:pk>/distribute/", distribute.distribute, name="distribute"),
    path("<int:pk>/distribute/count/", distribute.audience_count, name="audience_count"),
    path("<int:pk>/distribute/invite/", distribute.invite, name="invite"),
    path("<int:pk>/distribute/triggers/", distribute.add_trigger, name="add_trigger"),
    path("<int:pk>/distribute/triggers/<int:trigger_pk>/", distribute.toggle_trigger,
         name="toggle_trigger"),
    path("<int:pk>/results/", results.survey_results_page, name="results"),
    path("<int:pk>/drivers/", drivers.survey_drivers_page, name="drivers"),
    path("<int:pk>/responses/", results.survey_responses_page, name="responses"),
    path("<int:pk>/responses/<int:response_pk>/", results.survey_response_page,
         name="response"),
    path("<int:pk>/export.<str:fmt>", results.survey_export, name="export"),
]
