from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "dangol.engagement"
    label = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        register("engagement.view", _("View messages sent to customers"),
                 {Role.ADMIN, Role.MARKETER, Role.AGENT})
        register("engagement.send", _("Send messages to customers through the API"),
                 {Role.ADMIN, Role.MARKETER})
        add(NavItem("engagement", _("Messages"), "engagement:messages", "engagement.view", 60))

        from dangol.customers import timeline as customer_timeline
        from dangol.engagement import timeline

        customer_timeline.register("messages", timeline.message_entries)
