from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "dangol.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add
        from dangol.webhooks.events import register_defaults

        register("webhooks.manage", _("Manage webhook endpoints, deliveries and replays"),
                 {Role.ADMIN})
        register_defaults()
        add(NavItem("webhooks", _("Webhooks"), "webhooks:endpoints", "webhooks.manage", 90))
