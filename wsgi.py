"""Gunicorn entry point: `gunicorn wsgi:app` builds the gateway and starts its outbox relay in each worker."""

from app.bootstrap import Background, build_gateway
from app.config import Settings
from app.logs import configure_logging

settings = Settings.from_env()
configure_logging(settings.log_level, settings.log_format, "gateway")
background = Background()
app = build_gateway(settings, background=background)
