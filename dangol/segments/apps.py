from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "dangol.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from dangol.accounts.permissions import Role, register
        from dangol.web.navigation import NavItem, add

        register("segments.view", _("View segments, scores and retention"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        register("segments.manage", _("Create, change and delete saved segments"),
                 {Role.ADMIN, Role.ANALYST, Role.MARKETER})
        register("segments.run_scoring", _("Start and resume customer scoring runs"),
                 {Role.ADMIN})
        add(NavItem("segments", _("Segments"), "segments:list", "segments.view", 30))
        add(NavItem("retention", _("Retention"), "segments:retention", "segments.view", 31))
