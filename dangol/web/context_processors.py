from typing import Any

from django.http import HttpRequest
from django.urls import resolve
from django.urls.exceptions import Resolver404

from dangol.web import navigation

def navigation_context(request: HttpRequest) -> dict[str, Any]:
    try:
        namespace = resolve(request.path_info).namespace
    except Resolver404:
        namespace = ""
    return {"nav_items": navigation.items_for(request.user) if hasattr(request, "user") else [],
            "nav_current": namespace}

navigation = navigation_context  # the name settings refer to
