"""Gunicorn entry point: `gunicorn wsgi:app` builds the gateway and starts its jobs in each worker process."""

from app.bootstrap import build_gateway
from app.config import Settings
from app.jobs import Background
from app.logs import configure_logging

settings = Settings.from_env()
configure_logging(settings.log_level, settings.log_format, "gateway")
gateway = build_gateway(settings)
app = gateway.app
background = Background(gateway.jobs)
