from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "dangol.loyalty"
    label = "loyalty"
    verbose_name = _("Loyalty")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.customers.signals import orders_written
        from dangol.loyalty import receivers
        from dangol.surveys.signals import response_completed
        from dangol.web.navigation import NavItem, add

        register(
            "loyalty.view",
            _("View loyalty accounts, ledgers and program figures"),
            {Role.ADMIN, Role.ANALYST, Role.MARKETER, Role.AGENT},
        )
        register(
            "loyalty.transact",
            _("Earn, redeem and reverse points; claim events; use coupons at checkout"),
            {Role.ADMIN, Role.MARKETER},
        )
        register(
            "loyalty.manage",
            _("Change the loyalty program, rules and events; adjust points by hand"),
            {Role.ADMIN, Role.MARKETER},
        )
        add(NavItem("loyalty", _("Loyalty"), "loyalty:overview", "loyalty.view", 40))
        orders_written.connect(receivers.on_orders_written, dispatch_uid="loyalty-orders")
        response_completed.connect(
            receivers.on_response_completed, dispatch_uid="loyalty-survey-reward"
        )

        from dangol.customers import timeline as customer_timeline
        from dangol.loyalty import timeline

        customer_timeline.register("points", timeline.entry_entries)
