"""Professional registration on the staff record: recorded by a manager, audited.

A social worker in England is registered with Social Work England, in Wales with
Social Care Wales. The number and the day the register was checked are what the
supervision sweep reads to tell whether a social worker's supervisor is registered
(``supervision.rules.supervisor_unregistered_from``).
"""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction

from accounts.models import User
from accounts.roles import Role, roles_of
from workforce.audit import record_audit
from workforce.models import RegistrationBody, StaffProfile

# Social Work England numbers read "SW" and digits; Social Care Wales numbers are
# digits. Either may be written with spaces, which are dropped.
NUMBER_PATTERN = re.compile(r"^(SW)?\d{3,10}$")


class RegistrationError(Exception):
    """A registration that cannot be recorded, with a message for the user."""


@transaction.atomic
def record_registration(
    *,
    by: User,
    person_id: int,
    body: str,
    number: str,
    checked_on: date | None,
    expires_on: date | None = None,
    as_of: date,
) -> StaffProfile:
    """Record (or, with a blank body and number, clear) a person's registration."""
    if not ({Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN} & roles_of(by)):
        raise RegistrationError("Only a manager can record a registration.")
    person = (
        StaffProfile.objects.for_user(by)
        .select_for_update(of=("self",))
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise RegistrationError("You cannot change this person's record.")
    number = re.sub(r"\s+", "", number).upper()
    if not body and not number:
        person.registration_body = ""
        person.registration_number = ""
        person.registration_checked_on = None
        person.registration_expires_on = None
        summary = "Registration cleared"
    else:
        if body not in RegistrationBody.values:
            raise RegistrationError("Choose Social Work England or Social Care Wales.")
        if not NUMBER_PATTERN.match(number):
            raise RegistrationError("Enter the registration number, like SW123456.")
        if checked_on is None or checked_on > as_of:
            raise RegistrationError("Enter the day you checked the register.")
        if expires_on is not None and expires_on < checked_on:
            raise RegistrationError(
                "The registration must not have expired before the day you checked."
            )
        person.registration_body = body
        person.registration_number = number
        person.registration_checked_on = checked_on
        person.registration_expires_on = expires_on
        summary = f"Registration recorded ({RegistrationBody(body).label})"
    person.save(
        update_fields=[
            "registration_body",
            "registration_number",
            "registration_checked_on",
            "registration_expires_on",
        ]
    )
    record_audit(
        actor=by, action="sustain.registration.record", instance=person, summary=summary
    )
    return person
