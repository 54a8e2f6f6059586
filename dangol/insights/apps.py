from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "dangol.insights"
    label = "insights"
    verbose_name = _("Dashboards and alerts")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        register("insights.view", _("View the dashboard, alert rules and alerts"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER, Role.AGENT})
        register("insights.manage_alerts", _("Create, change, test and delete alert rules"),
                 {Role.ADMIN, Role.ANALYST})
        add(NavItem("insights", _("Dashboard"), "insights:dashboard", "insights.view", 12))
        add(NavItem("alerts", _("Alerts"), "insights:alerts", "insights.view", 13))
