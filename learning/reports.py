"""Wagtail reports for content editors: learner feedback and module statistics."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Avg, Count, F, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from config.exports import ReportExportMixin
from learning.models import Attempt, Completion, Feedback, ModulePage
from learning.models.pages import review_status

NO_DATA = "No data yet"
# Editors who may read feedback may read the statistics too.
REPORT_POLICY = ModelPermissionPolicy(Feedback)


class FeedbackReportView(ReportExportMixin, ReportView):
    """List practitioners' ratings and comments, newest first (no names shown)."""

    page_title = "Module feedback"
    header_icon = "comment"
    index_url_name = "learning_reports:feedback"
    index_results_url_name = "learning_reports:feedback_results"
    permission_policy = REPORT_POLICY
    permission_required = "view"
    columns = [
        Column("module", label="Module", accessor="completion.module.title"),
        Column("rating", label="Rating (1 to 5)"),
        Column("comment", label="Comment"),
        Column("given_at", label="Given on", accessor="given_at"),
    ]
    list_export = ["completion.module.title", "rating", "comment", "given_at"]
    export_headings = {
        "completion.module.title": "Module",
        "rating": "Rating",
        "comment": "Comment",
        "given_at": "Given at",
    }

    def get_filename(self) -> str:
        return "module-feedback"

    def get_queryset(self) -> Any:
        return Feedback.objects.select_related("completion__module").order_by(
            "-given_at"
        )


def _count(model: Any, **condition: Any) -> Coalesce:
    subquery = (
        model.objects.filter(module=OuterRef("pk"), **condition)
        .order_by()
        .values("module")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(subquery, output_field=IntegerField()), 0)


class ModuleStatisticsReportView(ReportExportMixin, ReportView):
    """Show completions, pass rate, average score and the most-missed questions."""

    page_title = "Module statistics"
    header_icon = "table"
    index_url_name = "learning_reports:statistics"
    index_results_url_name = "learning_reports:statistics_results"
    permission_policy = REPORT_POLICY
    permission_required = "view"
    columns = [
        Column("title", label="Module"),
        Column("completions_count", label="Completions"),
        Column("attempts_count", label="Attempts"),
        Column("pass_rate", label="Pass rate (%)"),
        Column("average_score", label="Average score (%)"),
        Column("average_rating", label="Average rating"),
        Column("most_missed", label="Most-missed questions"),
    ]
    list_export = [
        "title",
        "completions_count",
        "attempts_count",
        "pass_rate",
        "average_score",
        "average_rating",
        "most_missed",
    ]

    def get_filename(self) -> str:
        return "module-statistics"

    def get_queryset(self) -> Any:
        score = (
            Attempt.objects.filter(module=OuterRef("pk"))
            .order_by()
            .values("module")
            .annotate(a=Avg("score_percent"))
            .values("a")
        )
        rating = (
            Feedback.objects.filter(completion__module=OuterRef("pk"))
            .order_by()
            .values("completion__module")
            .annotate(a=Avg("rating"))
            .values("a")
        )
        return ModulePage.objects.annotate(
            completions_count=_count(Completion),
            attempts_count=_count(Attempt),
            passed_count=_count(Attempt, passed=True),
            average_score_raw=Subquery(score),
            average_rating_raw=Subquery(rating),
        ).order_by("title")

    def decorate_paginated_queryset(self, object_list: Any) -> Any:
        modules = list(object_list)
        missed: dict[int, Counter[str]] = defaultdict(Counter)
        for module_id, ids in Attempt.objects.filter(module__in=modules).values_list(
            "module_id", "missed_question_ids"
        ):
            missed[module_id].update(ids)
        for module in modules:
            attempts = module.attempts_count
            module.pass_rate = (
                round(100 * module.passed_count / attempts) if attempts else NO_DATA
            )
            module.average_score = (
                round(module.average_score_raw)
                if module.average_score_raw is not None
                else NO_DATA
            )
            module.average_rating = (
                round(module.average_rating_raw, 1)
                if module.average_rating_raw is not None
                else NO_DATA
            )
            texts = {q.id: q.text for q in module.questions()}
            top = missed[module.pk].most_common(3)
            module.most_missed = (
                "; ".join(
                    f"{texts.get(qid, 'A question since removed')} ({n})"
                    for qid, n in top
                )
                or NO_DATA
            )
        return modules


class ReviewDueReportView(ReportView):
    """Modules by next review date, overdue first, so editors keep content current."""

    page_title = "Module reviews"
    header_icon = "date"
    index_url_name = "learning_reports:reviews"
    index_results_url_name = "learning_reports:reviews_results"
    permission_policy = REPORT_POLICY
    permission_required = "view"
    columns = [
        Column("title", label="Module"),
        Column("review_status", label="Review"),
        Column("last_reviewed", label="Last reviewed"),
        Column("next_review", label="Next review"),
        Column("last_sense_check", label="Last sense check"),
    ]
    list_export = [
        "title",
        "review_status",
        "last_reviewed",
        "next_review",
        "last_sense_check",
    ]

    def get_filename(self) -> str:
        return "module-reviews"

    def get_queryset(self) -> Any:
        return (
            ModulePage.objects.defer_streamfields()
            .annotate(last_sense_check=Max("sense_checks__checked_on"))
            .order_by(F("next_review").asc(nulls_first=True), "title")
        )

    def decorate_paginated_queryset(self, object_list: Any) -> Any:
        today = timezone.localdate()
        modules = list(object_list)
        for module in modules:
            module.review_status = review_status(module.next_review, today)
        return modules


def has_report_access(user: Any) -> bool:
    """Say whether the user may read the learning reports."""
    return REPORT_POLICY.user_has_permission(user, "view")


__all__ = [
    "FeedbackReportView",
    "ModuleStatisticsReportView",
    "ReviewDueReportView",
    "has_report_access",
]


def item_statistics_view(request: Any, module_id: int) -> Any:
    """Per-question statistics for one module; ``?format=csv`` downloads them."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404, render

    from config.exports import Sheet, csv_response, download_stem
    from learning.item_stats import item_statistics, option_summary

    if not has_report_access(request.user):
        raise PermissionDenied
    module = get_object_or_404(ModulePage, pk=module_id)
    attempts = Attempt.objects.filter(module=module).only(
        "paper", "answers", "missed_question_ids", "score_percent"
    )
    items = item_statistics(module.questions(), attempts.iterator())
    if request.GET.get("format") == "csv":
        sheet = Sheet(
            title="Item statistics",
            headers=[
                "Question",
                "Attempts",
                "Facility (%)",
                "Discrimination",
                "Flag",
                "Options chosen",
            ],
            rows=(
                [
                    item.question.text,
                    item.attempts,
                    item.facility if item.facility is not None else NO_DATA,
                    item.discrimination if item.discrimination is not None else NO_DATA,
                    item.flag,
                    option_summary(item),
                ]
                for item in items
            ),
        )
        return csv_response(
            sheet, filename=f"{download_stem('item-statistics', module.slug)}.csv"
        )
    return render(
        request,
        "learning/admin/item_statistics.html",
        {
            "module": module,
            "items": [(item, option_summary(item)) for item in items],
            "no_data": NO_DATA,
        },
    )


def item_statistics_index_view(request: Any) -> Any:
    """The modules, each linking to its per-question statistics: the menu's way in."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import render

    if not has_report_access(request.user):
        raise PermissionDenied
    modules = (
        ModulePage.objects.defer_streamfields()
        .annotate(attempts_count=_count(Attempt))
        .order_by("title")
    )
    return render(
        request, "learning/admin/item_statistics_index.html", {"modules": modules}
    )
