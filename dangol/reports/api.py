"""REST endpoints of the reports app (thin: parse, authorise, call a service or selector)."""

from ninja import Router

router = Router(tags=["reports"])
