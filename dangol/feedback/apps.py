from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "dangol.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        register("feedback.view_taxonomy", _("View the theme taxonomy of text analysis"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        register("feedback.manage_taxonomy",
                 _("Change the theme taxonomy and re-analyse past answers"), {Role.ADMIN})
        add(NavItem("feedback", _("Themes"), "feedback:taxonomy", "feedback.view_taxonomy", 80))
