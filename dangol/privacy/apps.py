from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "dangol.privacy"
    label = "privacy"
    verbose_name = _("Personal-data requests")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.privacy import exporters, registry
        from dangol.web.navigation import NavItem, add

        register("privacy.handle_requests",
                 _("Handle personal-data requests: access, correction, deletion, suspension, "
                   "withdrawal of consent"), {Role.ADMIN})
        add(NavItem("privacy", _("Privacy requests"), "privacy:list",
                    "privacy.handle_requests", 95))
        for section, exporter in exporters.EXPORTERS.items():
            registry.register_exporter(section, exporter)
        for section, eraser in exporters.ERASERS.items():
            registry.register_eraser(section, eraser)
