from django.contrib import admin
from django.urls import include, path

from dangol.config.api import api

admin.site.site_header = "Dangol"
admin.site.site_title = "Dangol admin"

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("dangol.accounts.urls")),
    path("customers/", include("dangol.customers.urls")),
    path("segments/", include("dangol.segments.urls")),
    path("surveys/", include("dangol.surveys.urls")),
    path("feedback/", include("dangol.feedback.urls")),
    path("loyalty/", include("dangol.loyalty.urls")),
    path("engagement/", include("dangol.engagement.urls")),
    path("webhooks/", include("dangol.webhooks.urls")),
    path("cases/", include("dangol.cases.urls")),
    path("campaigns/", include("dangol.campaigns.urls")),
    path("privacy/", include("dangol.privacy.urls")),
    path("roadmap/", include("dangol.roadmap.urls")),
    path("insights/", include("dangol.insights.urls")),
    path("reports/", include("dangol.reports.urls")),
    path("", include("dangol.surveys.public_urls")),
    path("", include("dangol.web.urls")),
]
