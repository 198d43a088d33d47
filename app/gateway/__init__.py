"""The HTTP edge: Flask + flask-smorest app answering reads from the modules and accepting commands."""

from app.gateway.auth import hash_key, warn_when_open
from app.gateway.blueprint import GatewayDeps
from app.gateway.commands import CREATE_ORDER, Command, CommandStore
from app.gateway.factory import GatewayFlask, create_app, openapi_document, render_openapi
from app.gateway.sql_commands import CommandRecord, SqlCommandStore
from app.gateway.tables import commands as OUTBOX  # noqa: N812 - the table every relay of this schema reads
