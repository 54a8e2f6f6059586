from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "dangol.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        register("campaigns.view", _("View campaigns and their results"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        register("campaigns.manage", _("Create, send and cancel campaigns"),
                 {Role.ADMIN, Role.MARKETER})
        add(NavItem("campaigns", _("Campaigns"), "campaigns:list", "campaigns.view", 50))

        from dangol.campaigns import journey_receivers, journey_timeline
        from dangol.customers import timeline as customer_timeline
        from dangol.surveys.signals import response_completed

        response_completed.connect(journey_receivers.on_response_completed,
                                   dispatch_uid="campaigns-detractor-journeys")
        customer_timeline.register("journey_entries", journey_timeline.journey_entries)
