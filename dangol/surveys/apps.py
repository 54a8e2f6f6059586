from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "dangol.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add
        from dangol.webhooks.events import register_event_type

        register("surveys.view", _("View surveys and their results"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER, Role.AGENT})
        register("surveys.manage", _("Build, publish and close surveys"),
                 {Role.ADMIN, Role.MARKETER})
        register("surveys.send", _("Send survey invitations"), {Role.ADMIN, Role.MARKETER})
        register("surveys.respond", _("Submit responses through the API"),
                 {Role.ADMIN, Role.MARKETER})
        register_event_type("survey.response.completed", _("Survey response completed"))
        from dangol.customers import timeline as customer_timeline
        from dangol.surveys import timeline

        customer_timeline.register("survey_responses", timeline.response_entries)
        customer_timeline.register("survey_invitations", timeline.invitation_entries)
        add(NavItem("surveys", _("Surveys"), "surveys:list", "surveys.view", 15))
