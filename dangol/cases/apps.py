from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "dangol.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.cases import receivers, timeline
        from dangol.customers import timeline as customer_timeline
        from dangol.feedback.signals import items_analysed
        from dangol.surveys.signals import response_completed
        from dangol.web.navigation import NavItem, add
        from dangol.webhooks.events import register_event_type

        register("cases.view", _("View cases and their history"),
                 {Role.ADMIN, Role.AGENT, Role.ANALYST})
        register("cases.work", _("Work cases: open, assign, add notes, reply, resolve"),
                 {Role.ADMIN, Role.AGENT})
        register("cases.manage_rules", _("Create and change the rules that open cases"),
                 {Role.ADMIN})
        register_event_type("case.created", _("A case was opened"))
        register_event_type("case.resolved", _("A case was resolved"))
        add(NavItem("cases", _("Cases"), "cases:inbox", "cases.view", 18))
        response_completed.connect(receivers.on_response_completed,
                                   dispatch_uid="cases-open-from-response")
        items_analysed.connect(receivers.on_items_analysed, dispatch_uid="cases-open-from-items")
        customer_timeline.register("cases", timeline.case_entries)
