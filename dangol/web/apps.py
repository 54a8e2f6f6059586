from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "dangol.web"
    label = "web"

    def ready(self) -> None:
        from dangol.web.navigation import NavItem, add

        add(NavItem("web", _("Home"), "web:home", "customers.view", 10))
