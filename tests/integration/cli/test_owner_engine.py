"""The operator commands' database connections take the limits the settings give every process."""

import sqlalchemy as sa

from app.cli.console import owner_engine
from app.config import Settings


def test_every_operator_command_connects_with_the_configured_connect_timeout(database_url: str) -> None:
    settings = Settings.from_env({"PAYFLOW_DATABASE_URL": database_url, "PAYFLOW_DB_CONNECT_TIMEOUT_S": "7"})

    with owner_engine(settings, "status") as engine, engine.connect() as connection:
        parameters = connection.connection.dbapi_connection.get_dsn_parameters()  # type: ignore[union-attr]
        connection.execute(sa.text("SELECT 1"))

    assert parameters["connect_timeout"] == "7"
    assert parameters["application_name"] == "payflow-status"
