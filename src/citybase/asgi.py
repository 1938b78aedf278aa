"""ASGI entry point for uvicorn/gunicorn: ``uvicorn citybase.asgi:app``."""

from citybase.app import create_app

app = create_app()
