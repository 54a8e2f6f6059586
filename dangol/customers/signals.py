"""Signals other apps listen to (loyalty earns points on orders, surveys trigger invitations).

Receivers run inside the writing transaction: they either record their own rows
atomically with the orders or queue work with ``enqueue_after_commit``.
"""

from django.dispatch import Signal

#: Sent after orders were inserted or replaced. ``order_pks``: list of Order primary keys.
orders_written = Signal()
