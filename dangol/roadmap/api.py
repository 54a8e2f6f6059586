"""REST endpoints of the roadmap app (thin: parse, authorise, call a service or selector)."""

from ninja import Router

router = Router(tags=["roadmap"])
