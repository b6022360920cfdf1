"""Factories for the learning app: modules in a catalogue, requirements, records."""

from __future__ import annotations

import re
import uuid
from datetime import date
from html import unescape

import factory
from django.urls import reverse
from django.utils import timezone

from learning.content import ensure_site
from learning.models import (
    Completion,
    ExternalTraining,
    ModulePage,
    Requirement,
    TrainingCatalogPage,
)
from tests.factories.workforce import JobRoleFactory, StaffProfileFactory

QUESTIONS = [
    {
        "text": "Is CSE a form of child sexual abuse?",
        "kind": "single",
        "options": [
            {"text": "Yes", "correct": True},
            {"text": "No", "correct": False},
        ],
        "explanation": "CSE is child sexual abuse.",
    },
    {
        "text": "Which of these can be signs? Select all that apply.",
        "kind": "multiple",
        "options": [
            {"text": "Going missing", "correct": True},
            {"text": "New phone from an older friend", "correct": True},
            {"text": "Living in a particular region", "correct": False},
        ],
        "explanation": "Going missing and unexplained gifts are indicators.",
    },
]


def catalogue() -> TrainingCatalogPage:
    """Return the training catalogue under the default site's root, making it once."""
    existing = TrainingCatalogPage.objects.first()
    if existing:
        return existing
    # A transactional test earlier in a --reuse-db run may have flushed the tree.
    root = ensure_site()
    page = TrainingCatalogPage(title="Training", slug="training")
    root.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_module(
    title: str = "Understanding CSE",
    *,
    slug: str | None = None,
    questions: list[dict] | None = None,
    sections: int = 3,
    pass_mark_percent: int = 80,
    content_version: int = 1,
) -> ModulePage:
    """Create and publish a module with sections and a knowledge check."""
    parent = catalogue()
    module = ModulePage(
        title=title,
        slug=slug or f"module-{uuid.uuid4().hex[:8]}",
        summary="What CSE is.",
        learning_outcomes="Explain CSE\nSpot the signs",
        audience="Everyone",
        estimated_minutes=30,
        content_version=content_version,
        pass_mark_percent=pass_mark_percent,
        body=[
            {
                "type": "section",
                "value": {
                    "heading": f"Section {n}",
                    "content": [
                        {"type": "key_message", "value": {"text": f"Message {n}"}}
                    ],
                },
            }
            for n in range(1, sections + 1)
        ],
        knowledge_check=[
            {"type": "question", "value": question, "id": str(uuid.uuid4())}
            for question in (QUESTIONS if questions is None else questions)
        ],
    )
    parent.add_child(instance=module)
    module.save_revision().publish()
    module.refresh_from_db()
    return module


def right_answers(module: ModulePage) -> dict[str, list[str]]:
    """Option keys of the right answers, for every question in the bank."""
    return {q.id: sorted(q.correct_keys) for q in module.questions()}


def wrong_answers(module: ModulePage) -> dict[str, list[str]]:
    return {
        q.id: [next(k for k in q.keys if k not in q.correct_keys)]
        for q in module.questions()
    }


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement
        skip_postgeneration_save = True

    module = factory.LazyFunction(make_module)
    effective_from = date(2024, 1, 1)
    initial_due_days = 90
    renewal_months = 12
    due_soon_days = 30
    minimum_version = 1

    @factory.post_generation
    def job_roles(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create:
            self.job_roles.set(extracted or [JobRoleFactory(slug="social-worker")])

    @factory.post_generation
    def organisations(
        self, create: bool, extracted: list | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.organisations.set(extracted)


def _approved_external(completion: object) -> ExternalTraining:
    person = completion.person  # type: ignore[attr-defined]
    return ExternalTraining.objects.create(
        person=person,
        module=completion.module,  # type: ignore[attr-defined]
        title="Face-to-face course",
        provider="Safeguarding partnership",
        completed_on=completion.completed_on,  # type: ignore[attr-defined]
        evidence_reference="REF-1",
        recorded_by=person.user,
        approved_by=person.user,
        approved_at=timezone.now(),
    )


class CompletionFactory(factory.django.DjangoModelFactory):
    """A completion from approved external training (the quickest kind to build)."""

    class Meta:
        model = Completion

    person = factory.SubFactory(StaffProfileFactory)
    module = factory.LazyFunction(make_module)
    completed_on = date(2025, 6, 1)
    content_version = 1
    external = factory.LazyAttribute(_approved_external)


__all__ = [
    "CompletionFactory",
    "RequirementFactory",
    "catalogue",
    "make_module",
    "right_answers",
    "wrong_answers",
]


_TOKEN = re.compile(r'name="token" value="([0-9a-f-]{36})"')
_PAPER = re.compile(r'name="paper" value="([^"]+)"')


def check_form(client, module: ModulePage, answers: dict[str, list[str]]) -> dict:
    """Open the knowledge check as the signed-in learner; fill the form it issued.

    ``answers`` may cover the whole bank: only the questions on this paper are
    sent. A question left out of ``answers`` is left unanswered.
    """
    html = client.get(reverse("learning:knowledge_check", args=[module.pk]))
    html = html.content.decode()
    paper = html_paper(html)
    data: dict = {
        "token": _TOKEN.search(html).group(1),
        "paper": unescape(_PAPER.search(html).group(1)),
    }
    for entry in paper:
        if entry["question"] in answers:
            data[f"q-{entry['question']}"] = answers[entry["question"]]
    return data


def html_paper(html: str) -> list[dict]:
    """The paper a knowledge-check page was issued with, read from its form."""
    from django.core import signing

    return signing.loads(
        unescape(_PAPER.search(html).group(1)), salt="learning.papers"
    )["paper"]


def admin_edit_data(client, page: ModulePage, **fields: str) -> dict:
    """The Wagtail edit form for ``page`` as the signed-in user's browser would
    send it, with ``fields`` changed. The stream editors are drawn by JavaScript,
    so the streams go as empty streams."""
    from wagtail.test.utils.form_data import (
        nested_form_data,
        querydict_from_html,
        streamfield,
    )

    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = querydict_from_html(
        client.get(url).content.decode(), form_id="page-edit-form"
    ).copy()
    data.update(
        nested_form_data({"body": streamfield([]), "knowledge_check": streamfield([])})
    )
    for name, value in fields.items():
        data[name] = value
    return data
