"""Requirements and learner records in the Wagtail admin; the editors' reports."""

from typing import Any

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from learning.models import Completion, ExternalTraining, Requirement, TrainingException
from learning.reports import (
    FeedbackReportView,
    ModuleStatisticsReportView,
    ReviewDueReportView,
    has_report_access,
    item_statistics_index_view,
    item_statistics_view,
)


class RequirementViewSet(ModelViewSet):
    """Platform admins say who must complete which module, and how often."""

    model = Requirement
    icon = "date"
    menu_label = "Requirements"
    list_display = [
        "module",
        "effective_from",
        "initial_due_days",
        "renewal_months",
        "due_soon_days",
        "minimum_version",
    ]
    list_filter = ["job_roles", "organisations"]
    form_fields = [
        "module",
        "job_roles",
        "organisations",
        "effective_from",
        "initial_due_days",
        "renewal_months",
        "due_soon_days",
        "minimum_version",
    ]

    def get_queryset(self, request: Any) -> Any:
        return Requirement.objects.select_related("module")


class CompletionViewSet(ModelViewSet):
    """Completions, read only: a completion is evidence and is never edited."""

    model = Completion
    icon = "tick-inverse"
    menu_label = "Completions"
    list_display = ["person", "module", "completed_on", "score_percent"]
    list_filter = ["module"]
    search_fields = ["person__user__first_name", "person__user__last_name"]
    inspect_view_enabled = True
    add_to_admin_menu = False
    form_fields = ["completed_on"]

    def get_queryset(self, request: Any) -> Any:
        # The scoping layer applies in the admin too.
        return Completion.objects.for_user(request.user).select_related(
            "person__user", "module"
        )


class ExceptionViewSet(ModelViewSet):
    model = TrainingException
    icon = "warning"
    menu_label = "Exceptions"
    list_display = ["person", "requirement", "kind", "reason", "until", "recorded_at"]
    list_filter = ["kind", "reason"]
    inspect_view_enabled = True
    form_fields = ["note"]


class ExternalTrainingViewSet(ModelViewSet):
    model = ExternalTraining
    icon = "doc-full"
    menu_label = "External training"
    list_display = ["person", "title", "module", "completed_on", "approved_at"]
    inspect_view_enabled = True
    form_fields = ["title", "provider", "evidence_reference"]


class LearningViewSetGroup(ModelViewSetGroup):
    menu_label = "Training"
    menu_icon = "date"
    menu_order = 210
    items = (
        RequirementViewSet("training_requirements"),
        CompletionViewSet("training_completions"),
        ExceptionViewSet("training_exceptions"),
        ExternalTrainingViewSet("training_external"),
    )


@hooks.register("register_admin_viewset")
def register_learning_viewsets() -> LearningViewSetGroup:
    return LearningViewSetGroup()


report_urls = (
    [
        path("feedback/", FeedbackReportView.as_view(), name="feedback"),
        path(
            "feedback/results/",
            FeedbackReportView.as_view(results_only=True),
            name="feedback_results",
        ),
        path("statistics/", ModuleStatisticsReportView.as_view(), name="statistics"),
        path(
            "statistics/results/",
            ModuleStatisticsReportView.as_view(results_only=True),
            name="statistics_results",
        ),
        path("reviews/", ReviewDueReportView.as_view(), name="reviews"),
        path("items/", item_statistics_index_view, name="item_statistics_index"),
        path("items/<int:module_id>/", item_statistics_view, name="item_statistics"),
        path(
            "reviews/results/",
            ReviewDueReportView.as_view(results_only=True),
            name="reviews_results",
        ),
    ],
    "learning_reports",
)


@hooks.register("register_admin_urls")
def register_report_urls() -> list:
    return [path("reports/learning/", include(report_urls))]


class ReportMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return has_report_access(request.user)


@hooks.register("register_reports_menu_item")
def register_feedback_report() -> MenuItem:
    return ReportMenuItem(
        "Module feedback",
        reverse("learning_reports:feedback"),
        name="module-feedback",
        icon_name="comment",
        order=1300,
    )


@hooks.register("register_reports_menu_item")
def register_statistics_report() -> MenuItem:
    return ReportMenuItem(
        "Module statistics",
        reverse("learning_reports:statistics"),
        name="module-statistics",
        icon_name="table",
        order=1310,
    )


@hooks.register("register_reports_menu_item")
def register_item_statistics_report() -> MenuItem:
    return ReportMenuItem(
        "Question statistics",
        reverse("learning_reports:item_statistics_index"),
        name="question-statistics",
        icon_name="table",
        order=1315,
    )


@hooks.register("register_reports_menu_item")
def register_review_report() -> MenuItem:
    return ReportMenuItem(
        "Module reviews",
        reverse("learning_reports:reviews"),
        name="module-reviews",
        icon_name="date",
        order=1320,
    )


@hooks.register("register_log_actions")
def register_material_change_log(actions: Any) -> None:
    from learning.material import KEEP_LOG_ACTION, LOG_ACTION

    actions.register_action(
        LOG_ACTION, "Require version", "Required a new version of the module"
    )
    actions.register_action(
        KEEP_LOG_ACTION,
        "Keep earlier completions",
        "Published a material change; earlier completions still count",
    )
