from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "dangol.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        everyone = {Role.ADMIN, Role.ANALYST, Role.MARKETER, Role.AGENT}
        register("customers.view", _("View customers and orders"), everyone)
        register("customers.change", _("Create and edit customers, products and orders"),
                 {Role.ADMIN, Role.MARKETER})
        register("customers.delete", _("Delete customers and their data"), {Role.ADMIN})
        register("customers.import", _("Import customers, products and orders"),
                 {Role.ADMIN, Role.MARKETER})
        register("customers.export", _("Export customers, products and orders"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        add(NavItem("customers", _("Customers"), "customers:list", "customers.view", 20))

        from dangol.customers import timeline, timeline_orders

        timeline.register("orders", timeline_orders.order_entries)
