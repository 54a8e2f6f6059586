"""REST endpoints of surveys (thin: parse, authorise, call a service or selector)."""

from ninja import Router

router = Router(tags=["surveys"])
