from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "dangol.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.customers import timeline as customer_timeline
        from dangol.feedback import hub_timeline
        from dangol.web.navigation import NavItem, add

        register("feedback.view_taxonomy", _("View the theme taxonomy of text analysis"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        register("feedback.manage_taxonomy",
                 _("Change the theme taxonomy and re-analyse past answers"), {Role.ADMIN})
        register("feedback.view_items", _("View the feedback stream (reviews, posts, notes)"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER, Role.AGENT})
        register("feedback.add_items", _("Add and import feedback items"),
                 {Role.ADMIN, Role.ANALYST})
        add(NavItem("feedback_stream", _("Feedback"), "feedback:stream", "feedback.view_items",
                    17))
        add(NavItem("feedback", _("Themes"), "feedback:taxonomy", "feedback.view_taxonomy", 80))
        customer_timeline.register("feedback_items", hub_timeline.item_entries)
