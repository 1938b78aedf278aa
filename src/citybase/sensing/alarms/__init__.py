"""Alarm rules (data), their evaluation on every batch, and dry runs over history."""
