from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CommissioningConfig(AppConfig):
    name = "commissioning"

    def ready(self) -> None:
        from django.db import connections

        from commissioning.reports.sql import register_sqlite_functions

        connection_created.connect(register_sqlite_functions)
        # A connection opened before this app was ready needs it too.
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                register_sqlite_functions(None, connection)
