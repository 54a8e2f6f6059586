"""Signals other apps listen to.

``items_analysed(item_pks)``: feedback-hub items were analysed and their results
stored, sent inside the storing transaction (the cases app opens cases for
negative reviews on it).
"""

from django.dispatch import Signal

items_analysed = Signal()
