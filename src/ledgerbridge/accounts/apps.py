from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ledgerbridge.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Who may read the data directory is part of who may sign in: the embedded database
        # holds password hashes and tokens, so it is kept 0600 from its first connection.
        from django.db.backends.signals import connection_created

        from ledgerbridge.datadir import keep_sqlite_private

        connection_created.connect(keep_sqlite_private, dispatch_uid="keep_sqlite_private")
