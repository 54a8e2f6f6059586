"""Writes of the loyalty program. Other apps call these (and ``selectors``) only."""

from dangol.loyalty.services.ledger import (
    IdempotencyConflict,
    InsufficientPoints,
    adjust_points,
    default_program,
    earn_points,
    expire_points,
    redeem_points,
    reverse_entry,
)

__all__ = [
    "IdempotencyConflict",
    "InsufficientPoints",
    "adjust_points",
    "default_program",
    "earn_points",
    "expire_points",
    "redeem_points",
    "reverse_entry",
]
