"""Loading the written modules, and the editorial set-up that comes with them."""

import json

import pytest
from django.core.management import call_command
from wagtail.models import GroupPagePermission, WorkflowPage

from learning.content import ContentError, load_training_content
from learning.models import ModulePage, SenseCheckTask, TrainingCatalogPage

pytestmark = pytest.mark.django_db


class TestLoadTrainingContent:
    def test_a_fresh_deployment_gets_the_catalogue_and_every_module_published(self):
        result = load_training_content()
        catalogue = TrainingCatalogPage.objects.get()
        assert catalogue.url == "/training/"
        modules = ModulePage.objects.child_of(catalogue).live()
        assert modules.count() == result.created >= 4
        module = modules.get(slug="understanding-cse")
        assert module.title == "Understanding child sexual exploitation"
        assert len(module.questions()) >= 5
        assert module.url == "/training/understanding-cse/"

    def test_a_second_load_changes_nothing(self):
        load_training_content()
        revisions = ModulePage.objects.first().revisions.count()
        result = load_training_content()
        assert result.created == result.updated == 0
        assert ModulePage.objects.first().revisions.count() == revisions

    def test_question_ids_stay_the_same_when_a_module_is_reloaded(self, tmp_path):
        source = {
            "slug": "tiny",
            "title": "Tiny module",
            "summary": "S",
            "learning_outcomes": ["One"],
            "audience": "All",
            "estimated_minutes": 5,
            "content_version": 1,
            "sections": [
                {"heading": "H", "blocks": [{"type": "key_message", "text": "K"}]}
            ],
            "knowledge_check": {
                "pass_mark_percent": 100,
                "questions": [
                    {
                        "text": "Q?",
                        "kind": "single",
                        "options": [
                            {"text": "A", "correct": True},
                            {"text": "B", "correct": False},
                        ],
                        "explanation": "E",
                    }
                ],
            },
        }
        (tmp_path / "tiny.json").write_text(json.dumps(source))
        load_training_content(tmp_path)
        before = ModulePage.objects.get(slug="tiny").questions()[0].id
        source["summary"] = "Changed"
        (tmp_path / "tiny.json").write_text(json.dumps(source))
        assert load_training_content(tmp_path).updated == 1
        page = ModulePage.objects.get(slug="tiny")
        # The change waits for its sense check; learners still see the live text.
        assert page.summary == "S"
        assert page.current_workflow_state.status == "in_progress"
        draft = page.get_latest_revision_as_object()
        assert draft.summary == "Changed"
        assert draft.questions()[0].id == before
        # Loading the same file again does not resubmit it.
        assert load_training_content(tmp_path).unchanged == 1

    def test_a_malformed_file_is_refused_naming_the_file(self, tmp_path):
        (tmp_path / "broken.json").write_text(json.dumps({"slug": "x"}))
        with pytest.raises(ContentError, match=r"broken\.json: missing"):
            load_training_content(tmp_path)

    def test_content_editors_can_edit_the_catalogue_behind_a_sense_check(self):
        call_command("load_training_content")
        catalogue = TrainingCatalogPage.objects.get()
        codenames = set(
            GroupPagePermission.objects.filter(
                page=catalogue, group__name="Content editors"
            ).values_list("permission__codename", flat=True)
        )
        assert codenames == {"add_page", "change_page"}
        workflow = WorkflowPage.objects.get(page=catalogue).workflow
        assert [task.name for task in workflow.tasks] == ["Sense check"]
        assert isinstance(workflow.tasks.get().specific, SenseCheckTask)
        module = ModulePage.objects.child_of(catalogue).first()
        assert module.get_workflow() == workflow
