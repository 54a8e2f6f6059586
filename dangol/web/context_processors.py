from typing import Any

from django.http import HttpRequest
from django.urls import resolve
from django.urls.exceptions import Resolver404

from dangol.web import navigation


def navigation_context(request: HttpRequest) -> dict[str, Any]:
    """The main menu for the current staff member, and which entry is open."""
    try:
        namespace = resolve(request.path_info).namespace
    except Resolver404:
        namespace = ""
    user = getattr(request, "user", None)
    return {"nav_items": navigation.items_for(user), "nav_current": namespace}
