"""Workforce records in the Wagtail admin, for platform admins."""

from typing import Any

from django.db import transaction
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from workforce.models import (
    CaseloadSnapshot,
    CommissioningContract,
    JobRole,
    Organisation,
    StaffProfile,
    Team,
)
from workforce.signals import staff_changed


class _OrganisationSaved:
    """Save an organisation with its quiet start set through the service, which
    audits it: the form saves every other field, then ``set_quiet_start`` the date
    the admin chose, in one transaction."""

    def save_instance(self) -> Any:
        from workforce.services import set_quiet_start

        form = self.form  # type: ignore[attr-defined]
        wanted = form.cleaned_data.get("quiet_start_from")
        current = form.instance
        form.instance.quiet_start_from = (
            Organisation.objects.filter(pk=current.pk)
            .values_list("quiet_start_from", flat=True)
            .first()
            if current.pk
            else None
        )
        with transaction.atomic():
            instance = super().save_instance()  # type: ignore[misc]
            set_quiet_start(
                organisation=instance,
                starts_on=wanted,
                actor=self.request.user,  # type: ignore[attr-defined]
            )
        return instance


class OrganisationCreateView(_OrganisationSaved, generic.CreateView):
    pass


class OrganisationEditView(_OrganisationSaved, generic.EditView):
    pass


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    add_view_class = OrganisationCreateView
    edit_view_class = OrganisationEditView
    icon = "site"
    list_display = [
        "name",
        "is_commissioner",
        "is_provider",
        "supervision_retention_months",
    ]
    list_filter = ["is_commissioner", "is_provider"]
    search_fields = ["name"]
    form_fields = [
        "name",
        "slug",
        "is_commissioner",
        "is_provider",
        "supervision_retention_months",
        "quiet_start_from",
    ]


class _ContractSaved:
    """Save a contract through its service, which audits the terms that changed."""

    def save_instance(self) -> Any:
        from workforce.contracts import save_contract

        with transaction.atomic():
            instance = self.form.save(commit=False)  # type: ignore[attr-defined]
            save_contract(contract=instance, actor=self.request.user)  # type: ignore[attr-defined]
            self.form.save_m2m()  # type: ignore[attr-defined]
        return instance


class ContractCreateView(_ContractSaved, generic.CreateView):
    pass


class ContractEditView(_ContractSaved, generic.EditView):
    pass


class ContractViewSet(ModelViewSet):
    model = CommissioningContract
    add_view_class = ContractCreateView
    edit_view_class = ContractEditView
    icon = "doc-full"
    menu_label = "Contracts"
    list_display = ["provider", "commissioner", "service", "starts_on", "ends_on"]
    list_filter = ["commissioner", "provider"]
    form_fields = [
        "commissioner",
        "provider",
        "service",
        "starts_on",
        "ends_on",
        "caseload_threshold_per_fte",
        "expected_worker_manager_ratio",
        "foster_carers_in_supervision",
        "target_training_coverage_pct",
        "target_supervision_in_date_pct",
        "target_overdue_max_pct",
        "target_near_points",
    ]


class TeamViewSet(ModelViewSet):
    model = Team
    icon = "group"
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    form_fields = ["organisation", "name"]


class JobRoleViewSet(ModelViewSet):
    model = JobRole
    icon = "tag"
    list_display = ["name", "is_frontline", "is_manager"]
    form_fields = ["name", "slug", "is_frontline", "is_manager"]


class _StaffSaved:
    """Save a person through the same path the roster takes: ``staff_changed`` in
    the same transaction, so their training and supervision status rows (and
    flags) are re-synced before the admin's next page."""

    def save_instance(self) -> Any:
        from workforce.audit import record_staff_links

        current = getattr(self, "object", None)
        before = (
            StaffProfile.objects.filter(pk=current.pk)
            .values("supervisor_id", "line_manager_id", "kind")
            .first()
            if current is not None and current.pk
            else None
        )
        with transaction.atomic():
            instance = super().save_instance()  # type: ignore[misc]
            staff_changed.send(sender=StaffProfile, profile_ids=[instance.pk])
            record_staff_links(
                actor=self.request.user,  # type: ignore[attr-defined]
                instance=instance,
                before=before,
            )
        return instance


class StaffCreateView(_StaffSaved, generic.CreateView):
    pass


class StaffEditView(_StaffSaved, generic.EditView):
    pass


class StaffProfileViewSet(ModelViewSet):
    model = StaffProfile
    add_view_class = StaffCreateView
    edit_view_class = StaffEditView
    icon = "user"
    menu_label = "Staff"
    list_display = [
        "full_name",
        "organisation",
        "team",
        "job_role",
        "started_in_role",
        "left_on",
    ]
    list_filter = ["organisation", "job_role", "kind"]
    search_fields = ["user__first_name", "user__last_name", "user__email"]
    form_fields = [
        "user",
        "organisation",
        "team",
        "job_role",
        "kind",
        "started_in_role",
        "qualified_on",
        "fte",
        "supervisor",
        "line_manager",
        "left_on",
        "long_term_absence_from",
        "last_supervised_on",
    ]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return StaffProfile.objects.select_related(
            "user", "organisation", "team", "job_role"
        )


class CaseloadSnapshotViewSet(ModelViewSet):
    model = CaseloadSnapshot
    icon = "list-ul"
    menu_label = "Caseloads"
    list_display = ["person", "taken_on", "open_cases"]
    form_fields = ["person", "taken_on", "open_cases"]


class WorkforceViewSetGroup(ModelViewSetGroup):
    menu_label = "Workforce"
    menu_icon = "group"
    menu_order = 200
    items = (
        OrganisationViewSet("organisations"),
        ContractViewSet("contracts"),
        TeamViewSet("teams"),
        JobRoleViewSet("job_roles"),
        StaffProfileViewSet("staff"),
        CaseloadSnapshotViewSet("caseloads"),
    )


@hooks.register("register_admin_viewset")
def register_workforce_viewsets() -> WorkforceViewSetGroup:
    return WorkforceViewSetGroup()


@hooks.register("register_log_actions")
def register_audit_actions(actions: Any) -> None:
    """Name the audit trail's actions, so Wagtail's history can show them."""
    from workforce.audit import ACTIONS

    for action, label, message in ACTIONS:
        actions.register_action(action, label, message)
