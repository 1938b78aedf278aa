"""The live fixtures (demo city, server, browser) live in tests/live.py, shared by all tests."""

from tests.live import LiveServer, login

__all__ = ["LiveServer", "login"]
