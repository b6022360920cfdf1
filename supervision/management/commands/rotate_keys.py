from django.core.management.base import BaseCommand
from django.db import connection, transaction

from supervision.fields import EncryptedTextField, rotate, sealed_models


def rotate_all(batch_size: int = 500) -> int:
    """Re-encrypt every content value under the newest key; return values rewritten."""
    rewritten = 0
    for model in sealed_models():
        columns = [
            field.column
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)
        ]
        table = model._meta.db_table
        # Read the raw stored tokens: rotating needs ciphertext, not plaintext.
        with connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(
                f"SELECT id, {quoted} FROM {connection.ops.quote_name(table)}"
            )
            rows = cursor.fetchall()
        for start in range(0, len(rows), batch_size):
            with transaction.atomic(), connection.cursor() as cursor:
                for pk, *values in rows[start : start + batch_size]:
                    new = [rotate(value) if value else value for value in values]
                    sets = ", ".join(
                        f"{connection.ops.quote_name(c)} = %s" for c in columns
                    )
                    cursor.execute(
                        f"UPDATE {connection.ops.quote_name(table)} SET {sets} "
                        "WHERE id = %s",
                        [*new, pk],
                    )
                    rewritten += sum(1 for v in values if v)
    return rewritten


class Command(BaseCommand):
    help = (
        "Re-encrypt supervision content and exception notes under the newest "
        "FIELD_ENCRYPTION_KEYS key. "
        "Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args: object, **options: object) -> None:
        from wagtail.models import Site

        from workforce.audit import record_audit

        count = rotate_all()
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        if site is not None:
            # No one signed in runs a command: the entry is the site's own.
            record_audit(
                actor=None,
                action="sustain.keys.rotate",
                instance=site,
                summary="Content keys rotated",
                data={"values": count},
            )
        self.stdout.write(f"Re-encrypted {count} stored values under the newest key.")
