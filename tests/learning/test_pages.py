"""Where pages may live, what search sees, and how a material change is versioned."""

import pytest
from django.urls import reverse
from wagtail.models import Page, Site

from learning.models import ModulePage, ModulePageForm, TrainingCatalogPage
from tests.factories import UserFactory
from tests.factories.learning import admin_edit_data, catalogue, make_module

pytestmark = pytest.mark.django_db


class TestPageTree:
    def test_the_catalogue_lives_under_the_site_root_and_holds_only_modules(self):
        assert TrainingCatalogPage.allowed_parent_page_models() == [Page]
        assert TrainingCatalogPage.allowed_subpage_models() == [ModulePage]

    def test_a_module_lives_only_in_the_catalogue_and_has_no_children(self):
        assert ModulePage.allowed_parent_page_models() == [TrainingCatalogPage]
        assert ModulePage.allowed_subpage_models() == []

    def test_a_module_cannot_be_created_straight_under_the_site_root(self):
        root = Site.objects.get(is_default_site=True).root_page
        assert not ModulePage.can_create_at(root)
        assert ModulePage.can_create_at(catalogue())

    def test_there_is_only_one_catalogue(self):
        root = Site.objects.get(is_default_site=True).root_page
        catalogue()
        assert not TrainingCatalogPage.can_create_at(root)


class TestSearchKeepsAnswersOut:
    def test_the_knowledge_check_is_not_indexed_for_search(self):
        indexed = {field.field_name for field in ModulePage.search_fields}
        assert {"title", "summary", "body"} <= indexed
        assert "knowledge_check" not in indexed


class TestMaterialChange:
    def form_for(self, page, **changes):
        form_class = ModulePage.get_edit_handler().get_form_class()
        assert issubclass(form_class, ModulePageForm)
        data = {
            "title": page.title,
            "slug": page.slug,
            "summary": page.summary,
            "learning_outcomes": page.learning_outcomes,
            "audience": page.audience,
            "estimated_minutes": page.estimated_minutes,
            "pass_mark_percent": page.pass_mark_percent,
            **changes,
        }
        form = form_class(instance=page, for_user=None, parent_page=page.get_parent())
        # Keep the streams as they are: only the plain fields come from ``data``.
        form.cleaned_data = {
            **data,
            "body": page.body,
            "knowledge_check": page.knowledge_check,
        }
        form._errors = {}
        # No inline rows (sense checks) are edited here, so none are saved.
        form.formsets = {}
        return form

    def test_ticking_material_change_raises_the_version_by_one_however_often_saved(
        self,
    ):
        page = make_module(content_version=3)
        for _ in range(2):  # two draft saves before publishing
            form = self.form_for(page, material_change=True)
            draft = form.save(commit=False)
            assert draft.content_version == 4

    def test_an_ordinary_edit_keeps_the_version(self):
        page = make_module(content_version=3)
        form = self.form_for(page, material_change=False)
        assert form.save(commit=False).content_version == 3


class TestPublishingAMaterialChange:
    def publish(self, client, page, *, material):
        url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        data = admin_edit_data(client, page)
        if material:
            data["material_change"] = "on"
            data["what_changed"] = "The guidance on return interviews changed."
            data["requirements_after_change"] = "keep"
        else:
            data.pop("material_change", None)
        data["action-publish"] = "action-publish"
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:500]
        page.refresh_from_db()
        return page

    def test_an_editor_publishing_a_material_change_raises_the_live_version(
        self, client
    ):
        page = make_module(content_version=2)
        client.force_login(UserFactory(is_superuser=True, is_staff=True))
        assert self.publish(client, page, material=True).content_version == 3
        assert self.publish(client, page, material=False).content_version == 3
        assert page.live_revision.as_object().content_version == 3


def test_a_material_change_needs_a_what_changed_note(client):
    page = make_module(content_version=2)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = admin_edit_data(client, page)
    data["material_change"] = "on"
    data["what_changed"] = ""
    data["action-publish"] = "action-publish"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Say what changed" in response.content.decode()
    page.refresh_from_db()
    assert page.content_version == 2
