"""REST endpoints of webhooks (thin: parse, authorise, call a service or selector)."""

from ninja import Router

router = Router(tags=["webhooks"])
