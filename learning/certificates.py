"""Certificates: what one says, its public verification link, and its PDF.

The PDF and the public page are both drawn from :func:`certificate_facts`, so the
paper and the link never disagree. The paper carries the absolute verification link
as text and as a QR code, so whoever is shown it can check it without signing in.

What the public page shows is the least a verifier needs to match the paper to its
holder and to trust it: the holder's name, the module, its content version, the
completion date and whether the certificate is valid today (and until when), or
that it was revoked and on which day (never why). It
leaves out the holder's organisation, team, role, email and score, which the paper
carries for the holder but a stranger holding only the link does not need.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from config.links import absolute_url
from learning.models import Completion, TrainingStatus
from learning.rules import expires_on


class CertificateFacts(TypedDict):
    completion: Completion
    valid_until: date | None
    is_valid: bool
    is_revoked: bool
    revoked_on: date | None
    as_of: date
    verify_url: str


def verification_url(completion: Completion) -> str:
    """Return the absolute public link that verifies ``completion``'s certificate."""
    return absolute_url("learning:certificate", completion.verification_id)


def certificate_facts(completion: Completion, *, as_of: date) -> CertificateFacts:
    """Say what ``completion``'s certificate states on ``as_of``.

    It is valid until the shortest renewal period of the requirements that ask for
    the module runs out for this person; with none, it does not expire. A revoked
    one is never valid, whatever its dates.
    """
    renewals = [
        months
        for months in TrainingStatus.objects.filter(
            person_id=completion.person_id, requirement__module_id=completion.module_id
        ).values_list("requirement__renewal_months", flat=True)
        if months is not None
    ]
    valid_until = (
        expires_on(completion.completed_on, min(renewals)) if renewals else None
    )
    revoked_on = (
        timezone.localdate(completion.revoked_at) if completion.revoked_at else None
    )
    return {
        "completion": completion,
        "valid_until": valid_until,
        "is_valid": revoked_on is None and (valid_until is None or as_of < valid_until),
        "is_revoked": revoked_on is not None,
        "revoked_on": revoked_on,
        "as_of": as_of,
        "verify_url": verification_url(completion),
    }


def qr_code_svg(url: str) -> str:
    """Return a QR code of ``url`` as an SVG data URI (medium error correction)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=4))


def certificate_pdf(completion: Completion, *, as_of: date) -> bytes:
    """Render ``completion``'s certificate as an A4 PDF (never a revoked one's)."""
    import weasyprint  # loads Pango: only when a PDF is asked for

    if completion.is_revoked:
        raise ValueError("A revoked certificate is not issued.")

    facts = certificate_facts(completion, as_of=as_of)
    html = render_to_string(
        "learning/certificate_pdf.html",
        {
            **facts,
            "qr_code": qr_code_svg(facts["verify_url"]),
            "issuer": completion.person.organisation.name,
            "service_name": settings.WAGTAIL_SITE_NAME,
        },
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())
