"""Supervision policies in the Wagtail admin, for platform admins.

Sessions are not registered here at all: their content must never reach the admin,
and their dates change only through the services, which keep status rows current.
"""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from supervision.models import PolicyStage, SupervisionPolicy


class PolicyViewSet(ModelViewSet):
    model = SupervisionPolicy
    icon = "date"
    menu_label = "Policies"
    list_display = ["name", "job_role", "is_default", "due_soon_days"]
    form_fields = [
        "name",
        "is_default",
        "job_role",
        "stages_follow",
        "due_soon_days",
        "first_escalation_days",
    ]


class PolicyStageViewSet(ModelViewSet):
    model = PolicyStage
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
