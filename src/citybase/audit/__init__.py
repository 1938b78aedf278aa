"""Audit: an append-only, hash-chained log of every write and every read of personal data."""
