"""Load the written modules into Wagtail, and set up the editorial workflow.

``load_training_content`` and the demo seed call :func:`load_training_content`.
It is idempotent: a module whose source file has not changed is left alone.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import (
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Task,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from accounts.roles import Role
from learning.models import ModulePage, SenseCheckTask, TrainingCatalogPage

MODULES_DIR = Path(__file__).resolve().parent / "content" / "modules"
BLOCK_TYPES = {
    "rich_text",
    "key_message",
    "case_study",
    "quote",
    "reflection_prompt",
    "further_reading",
    "video",
}
WORKFLOW_NAME = "Sense check before publishing"
TASK_NAME = "Sense check"
# No publish_page: editors reach learners only through the sense check, approved
# by another editor (see learning.models.workflow).
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page")
ID_NAMESPACE = uuid.UUID("8c0c7f0e-6a4e-4b0c-9d59-2f1f5a2e7a10")


class ContentError(ValueError):
    """A module file that does not follow the schema; the message names the file."""


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return (
            f"{self.created} modules created, {self.updated} updated and sent "
            f"for sense check, {self.unchanged} unchanged"
        )


def _block_id(*parts: object) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(str(p) for p in parts)))


def _block_value(block: dict[str, Any], where: str) -> tuple[str, Any]:
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        raise ContentError(f"{where}: unknown block type {kind!r}")
    try:
        if kind == "rich_text":
            return kind, block["html"]
        if kind == "key_message":
            return kind, {"text": block["text"]}
        if kind == "case_study":
            return kind, {
                "title": block["title"],
                "scenario": block["scenario"],
                "questions": list(block.get("questions", [])),
            }
        if kind == "quote":
            return kind, {
                "text": block["text"],
                "attribution": block.get("attribution", ""),
            }
        if kind == "reflection_prompt":
            return kind, {"prompt": block["prompt"]}
        if kind == "video":
            return kind, {
                "video": block["url"],
                "title": block["title"],
                "transcript": block["transcript"],
            }
        return kind, {
            "items": [
                {
                    "citation": item["citation"],
                    "note": item.get("note", ""),
                    "url": item.get("url", ""),
                }
                for item in block["items"]
            ]
        }
    except (KeyError, TypeError) as error:
        raise ContentError(f"{where}: {kind} block is missing {error}") from None


def _section_number(
    question: dict[str, Any], sections: int, name: str, q: int
) -> int | None:
    section = question.get("section")
    if section is None:
        return None
    if not isinstance(section, int) or not 1 <= section <= sections:
        raise ContentError(f"{name} question {q}: section {section!r} does not exist")
    return section


def _review_date(source: dict[str, Any], key: str, name: str) -> date | None:
    value = source.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ContentError(f"{name}: {key} {value!r} is not a date") from None


def parse_module(source: dict[str, Any], name: str) -> dict[str, Any]:
    """Turn one module file into page field values; raise ContentError if malformed."""
    required = (
        "slug",
        "title",
        "summary",
        "learning_outcomes",
        "audience",
        "estimated_minutes",
        "content_version",
        "sections",
        "knowledge_check",
    )
    missing = [key for key in required if key not in source]
    if missing:
        raise ContentError(f"{name}: missing {', '.join(missing)}")
    slug = source["slug"]
    body = []
    for s, section in enumerate(source["sections"], start=1):
        content = []
        for b, block in enumerate(section.get("blocks", []), start=1):
            kind, value = _block_value(block, f"{name} section {s} block {b}")
            content.append({"type": kind, "value": value, "id": _block_id(slug, s, b)})
        body.append(
            {
                "type": "section",
                "value": {"heading": section["heading"], "content": content},
                "id": _block_id(slug, s),
            }
        )
    check = source["knowledge_check"]
    questions = []
    for q, question in enumerate(check.get("questions", []), start=1):
        options = question.get("options", [])
        correct = sum(1 for option in options if option.get("correct"))
        if question.get("kind") not in ("single", "multiple") or len(options) < 2:
            raise ContentError(f"{name} question {q}: needs a kind and two options")
        if correct == 0 or (question["kind"] == "single" and correct != 1):
            raise ContentError(f"{name} question {q}: the right answers do not fit")
        questions.append(
            {
                "type": "question",
                "value": {
                    "text": question["text"],
                    "kind": question["kind"],
                    "options": [
                        {"text": o["text"], "correct": bool(o.get("correct"))}
                        for o in options
                    ],
                    "explanation": question.get("explanation", ""),
                    "section": _section_number(question, len(body), name, q),
                },
                # Stable per question text, so statistics survive a reload.
                "id": _block_id(slug, "question", question["text"]),
            }
        )
    if not questions:
        raise ContentError(f"{name}: the knowledge check has no questions")
    last_reviewed = _review_date(source, "last_reviewed", name)
    next_review = _review_date(source, "next_review", name)
    if last_reviewed and next_review and next_review <= last_reviewed:
        raise ContentError(f"{name}: next_review must fall after last_reviewed")
    return {
        "last_reviewed": last_reviewed,
        "next_review": next_review,
        "research_basis": str(source.get("research_basis", "")),
        "references": "\n".join(str(r) for r in source.get("references", [])),
        "slug": slug,
        "title": source["title"],
        "summary": source["summary"],
        "learning_outcomes": "\n".join(source["learning_outcomes"]),
        "audience": source["audience"][:300],
        "estimated_minutes": int(source["estimated_minutes"]),
        "content_version": int(source["content_version"]),
        "pass_mark_percent": int(check.get("pass_mark_percent", 80)),
        "questions_shown": int(check.get("questions_shown", 0)),
        "body": body,
        "knowledge_check": questions,
    }


def ensure_site() -> Page:
    """Return the default site's root page, rebuilding Wagtail's tree if it is gone.

    Migrations make the locale, root page and default site; a flushed database (a
    transactional test, a benchmark) has none of them.
    """
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    locale, _ = Locale.objects.get_or_create(language_code=language)
    tree_root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = tree_root.get_children().first() or tree_root.add_child(
        instance=Page(title="Sustain", slug="home", locale=locale)
    )
    Site.objects.create(
        hostname="localhost", port=80, root_page=home, is_default_site=True
    )
    return home


def ensure_catalogue() -> TrainingCatalogPage:
    """Return the catalogue at /training/, making it under the site root if missing."""
    existing = TrainingCatalogPage.objects.first()
    if existing is not None:
        return existing
    page = TrainingCatalogPage(
        title="Training",
        slug="training",
        introduction="Rolling training for everyone who works with young people "
        "at risk of, or experiencing, child sexual exploitation.",
    )
    ensure_site().add_child(instance=page)
    page.save_revision().publish()
    return page


def ensure_editorial_setup(catalogue: TrainingCatalogPage) -> None:
    """Give content editors the catalogue, behind a 'sense check' review step."""
    editors, _ = Group.objects.get_or_create(name=Role.CONTENT_EDITOR.value)
    for codename in EDITOR_PAGE_PERMISSIONS:
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=codename
        )
        GroupPagePermission.objects.get_or_create(
            group=editors, page=catalogue, permission=permission
        )
    GroupPagePermission.objects.filter(
        group=editors, permission__codename="publish_page"
    ).delete()
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    task = SenseCheckTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = SenseCheckTask.objects.create(name=TASK_NAME)
        task.groups.set([editors])
    # An earlier set-up used Wagtail's plain group approval, which lets the
    # submitter approve; swap it for the sense-check task.
    for old in Task.objects.filter(name=TASK_NAME).exclude(pk=task.pk):
        WorkflowTask.objects.filter(workflow=workflow, task=old).delete()
        old.specific.deactivate()
    WorkflowTask.objects.get_or_create(
        workflow=workflow, task=task, defaults={"sort_order": 0}
    )
    WorkflowPage.objects.get_or_create(page=catalogue, defaults={"workflow": workflow})


@transaction.atomic
def load_training_content(directory: Path = MODULES_DIR) -> LoadResult:
    """Create or update the catalogue and every module file in ``directory``."""
    catalogue = ensure_catalogue()
    ensure_editorial_setup(catalogue)
    created = updated = unchanged = 0
    for path in sorted(directory.glob("*.json")):
        raw = path.read_bytes()
        try:
            source = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ContentError(f"{path.name}: not valid JSON ({error})") from None
        fields = parse_module(source, path.name)
        digest = hashlib.sha256(raw).hexdigest()
        page = (
            ModulePage.objects.child_of(catalogue).filter(slug=fields["slug"]).first()
        )
        # Compare with the newest revision, live or waiting for its sense check.
        if page is not None and (
            page.get_latest_revision_as_object().source_hash == digest
        ):
            unchanged += 1
            continue
        if page is None:
            # A new module goes live, so a fresh deployment has training; the
            # revision is logged as the loader's, for editors to review.
            page = ModulePage(**fields, source_hash=digest)
            catalogue.add_child(instance=page)
            page.save_revision(log_action=True).publish()
            created += 1
            continue
        fields["content_version"] = max(fields["content_version"], page.content_version)
        draft = page.get_latest_revision_as_object()
        for name, value in fields.items():
            setattr(draft, name, value)
        draft.source_hash = digest
        # A file cannot decide what happens to requirements: an editor chooses
        # that in the editor before the change is approved.
        draft.requirements_after_change = ""
        _submit_for_sense_check(draft)
        updated += 1
    return LoadResult(created=created, updated=updated, unchanged=unchanged)


def _submit_for_sense_check(page: ModulePage) -> None:
    """Save a changed module as a draft and put it into the sense check.

    The live version stays as it is until an editor approves. A check already
    under way is cancelled: it was reviewing text that has now changed.
    """
    page.save_revision(log_action=True)
    current = page.current_workflow_state
    if current is not None:
        current.cancel(user=None)
    workflow = page.get_workflow()
    if workflow is None:
        raise ContentError(f"{page.slug}: no sense-check workflow covers this module")
    workflow.start(page, user=None)
