"""Writes of the surveys app, one module per kind of change."""
