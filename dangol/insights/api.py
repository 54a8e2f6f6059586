"""REST endpoints of the insights app (thin: parse, authorise, call a service or selector)."""

from ninja import Router

router = Router(tags=["insights"])
