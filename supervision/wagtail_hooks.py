"""Supervision policies in the Wagtail admin, for platform admins.

Sessions are not registered here at all: their content must never reach the admin,
and their dates change only through the services, which keep status rows current.
"""

from typing import Any

from django.db import transaction
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from supervision.models import PolicyStage, SupervisionPolicy
from supervision.services import policy_changed
from workforce.dates import today


class _PolicySaved:
    """A policy or stage saved in the admin re-syncs the people it covers, in the
    same transaction, through :func:`supervision.services.policy_changed`."""

    def save_instance(self) -> Any:
        with transaction.atomic():
            instance = super().save_instance()  # type: ignore[misc]
            policy_id = getattr(instance, "policy_id", None) or instance.pk
            policy_changed(policy_id=policy_id, as_of=today())
        return instance


class PolicyCreateView(_PolicySaved, generic.CreateView):
    pass


class PolicyEditView(_PolicySaved, generic.EditView):
    pass


class PolicyViewSet(ModelViewSet):
    model = SupervisionPolicy
    add_view_class = PolicyCreateView
    edit_view_class = PolicyEditView
    icon = "date"
    menu_label = "Policies"
    list_display = ["name", "job_role", "is_default", "due_soon_days"]
    form_fields = [
        "name",
        "is_default",
        "job_role",
        "stages_follow",
        # Which sessions reset the clock: long enough, in a counted format.
        "min_minutes",
        "counts_group",
        "counts_peer",
        # Wales: the consolidation period and its longest interval.
        "consolidation_months",
        "consolidation_interval_days",
        "debrief_within_days",
        "due_soon_days",
        "first_escalation_days",
    ]


class PolicyStageViewSet(ModelViewSet):
    model = PolicyStage
    add_view_class = PolicyCreateView
    edit_view_class = PolicyEditView
    icon = "list-ol"
    menu_label = "Policy stages"
    list_display = [
        "policy",
        "position",
        "interval_days",
        "ends_after",
        "ends_after_unit",
    ]
    list_filter = ["policy"]
    form_fields = [
        "policy",
        "position",
        "interval_days",
        "ends_after",
        "ends_after_unit",
    ]


class SupervisionViewSetGroup(ModelViewSetGroup):
    menu_label = "Supervision"
    menu_icon = "date"
    menu_order = 210
    items = (
        PolicyViewSet("supervision_policies"),
        PolicyStageViewSet("supervision_policy_stages"),
    )


@hooks.register("register_admin_viewset")
def register_supervision_viewsets() -> SupervisionViewSetGroup:
    return SupervisionViewSetGroup()
