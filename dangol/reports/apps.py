from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "dangol.reports"
    label = "reports"
    verbose_name = _("Scheduled reports")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        register("reports.view", _("View scheduled reports, their runs and PDFs"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        register("reports.manage",
                 _("Create, change and send scheduled reports"), {Role.ADMIN, Role.ANALYST})
        add(NavItem("reports", _("Reports"), "reports:list", "reports.view", 14))
