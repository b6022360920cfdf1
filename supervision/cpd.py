"""A practitioner's CPD record for a period, shaped for a Social Work England entry.

Two kinds of entry, each with a title, a date, the type of activity, what was
learned and how it changed practice:

- each training completion (module, version, date, learning time), with the
  module's summary as what it covered;
- each of the practitioner's own reflections on a supervision session that they
  chose to include, in their own words, marked if discussed with a peer.

Nothing the supervisor wrote (the session's notes, reflection or wellbeing parts,
actions) is ever read here: only the supervisee's attendance fields they wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from config.exports import Sheet
from learning.models import Completion
from supervision.models import SessionAttendance, SupervisionSession
from workforce.models import StaffProfile

HEADERS = (
    "Title",
    "Date",
    "Type of activity",
    "What I learned",
    "How it changed my practice",
    "Module version",
    "Learning time (minutes)",
    "Discussed with a peer",
)
TRAINING = "Training course (e-learning)"
EXTERNAL = "Training course (external)"
REFLECTION = "Reflection on supervision"
NOTE = (
    "Your own record for Social Work England CPD. It holds your completions and "
    "the reflections you chose to include, and nothing your supervisor wrote."
)


def cpd_pdf(person: StaffProfile, *, start: date, end: date) -> bytes:
    """Render the person's CPD entries between ``start`` and ``end`` as an A4 PDF:
    the same entries as :func:`cpd_sheet`, one block each."""
    import weasyprint  # loads Pango: only when a PDF is asked for
    from django.conf import settings
    from django.template.loader import render_to_string

    entries = [
        dict(zip(_KEYS, row, strict=True))
        for row in _rows(person, start=start, end=end)
    ]
    html = render_to_string(
        "supervision/cpd_record_pdf.html",
        {
            "person": person,
            "start": start,
            "end": end,
            "entries": entries,
            "note": NOTE,
            "service_name": settings.WAGTAIL_SITE_NAME,
        },
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())


# The template's names for the columns of ``HEADERS``, in order.
_KEYS = (
    "title",
    "date",
    "activity",
    "learned",
    "changed",
    "version",
    "minutes",
    "peer",
)


def cpd_sheet(person: StaffProfile, *, start: date, end: date) -> Sheet:
    """Return the person's CPD entries between ``start`` and ``end`` (inclusive)."""
    return Sheet(
        title="CPD record",
        headers=HEADERS,
        rows=_rows(person, start=start, end=end),
        note=NOTE,
    )


def _rows(person: StaffProfile, *, start: date, end: date) -> Iterator[list[Any]]:
    completions = (
        Completion.objects.filter(
            person=person,
            completed_on__gte=start,
            completed_on__lte=end,
            revoked_at__isnull=True,  # a revoked certificate is not CPD evidence
        )
        .select_related("module", "external")
        .order_by("completed_on", "pk")
    )
    entries: list[tuple[date, int, list[Any]]] = []
    for completion in completions:
        module = completion.module
        entries.append(
            (
                completion.completed_on,
                0,
                [
                    module.title,
                    completion.completed_on,
                    EXTERNAL if completion.external_id else TRAINING,
                    module.summary,
                    "",
                    completion.content_version,
                    module.estimated_minutes,
                    "",
                ],
            )
        )
    reflections = (
        SessionAttendance.objects.filter(
            person=person,
            reflection_in_cpd=True,
            session__state=SupervisionSession.State.FINALISED,
            session__held_on__gte=start,
            session__held_on__lte=end,
        )
        .select_related("session")
        # Only the supervisee's own words are loaded; never the session's content.
        .only(
            "supervisee_reflection",
            "practice_change",
            "reflection_discussed_with_peer",
            "session__held_on",
            "session__duration_minutes",
        )
        .order_by("session__held_on", "pk")
    )
    for attendance in reflections:
        if not attendance.supervisee_reflection:
            continue
        held_on = attendance.session.held_on
        entries.append(
            (
                held_on,
                1,
                [
                    REFLECTION,
                    held_on,
                    REFLECTION,
                    attendance.supervisee_reflection,
                    attendance.practice_change,
                    "",
                    attendance.session.duration_minutes,
                    "Yes" if attendance.reflection_discussed_with_peer else "No",
                ],
            )
        )
    for _, _, row in sorted(entries, key=lambda entry: (entry[0], entry[1])):
        yield row
