from django.apps import AppConfig
from django.db.models.signals import post_init, post_migrate, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.signals import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="sustain_role_groups")

        from accounts.leavers import left_on_saved, remember_left_on

        # A leaving date set or cleared on a staff record applies to the account now.
        post_init.connect(
            remember_left_on, sender="workforce.StaffProfile", dispatch_uid="left_on_in"
        )
        post_save.connect(
            left_on_saved, sender="workforce.StaffProfile", dispatch_uid="left_on_out"
        )
