"""Production entry point: `gunicorn dashboard.wsgi:server` (settings from SOCPLAN_* variables)."""

from .app import create_app

app = create_app()
server = app.server
