from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dangol.accounts"
    label = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        from dangol.accounts import permissions
        from dangol.web.navigation import NavItem, add

        permissions.register_defaults()
        add(NavItem("accounts", _("Settings"), "accounts:api_keys", "accounts.manage_api_keys",
                    90))
