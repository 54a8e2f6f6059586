"""What each app holds about one customer, and how it is erased.

Apps register, in their AppConfig.ready, an *exporter* (customer -> list of
records, each a JSON-serialisable dict) under a section name, and an *eraser*
(customer -> counts of what was erased or anonymised) that runs inside the
transaction that deletes the customer, before the customer row is deleted.
An eraser must only anonymise or delete rows of its own app and must not
commit or queue anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dangol.customers.models import Customer

Exporter = Callable[[Customer], list[dict[str, Any]]]
Eraser = Callable[[Customer], dict[str, Any]]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def register_exporter(section: str, exporter: Exporter) -> None:
    _exporters[section] = exporter


def register_eraser(section: str, eraser: Eraser) -> None:
    _erasers[section] = eraser


def export_sections(customer: Customer) -> dict[str, list[dict[str, Any]]]:
    """Every registered section's records of ``customer``, by section name."""
    return {section: exporter(customer) for section, exporter in sorted(_exporters.items())}


def run_erasers(customer: Customer) -> dict[str, dict[str, Any]]:
    """Run every eraser on ``customer``; call inside a transaction. Returns counts by section."""
    return {section: eraser(customer) for section, eraser in sorted(_erasers.items())}
