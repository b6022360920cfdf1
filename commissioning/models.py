"""Monthly snapshots of every commissioning figure, for trends. Never edited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import Q

from workforce.models import Organisation, Team


class ImmutableSnapshotError(Exception):
    """A snapshot, once taken, is history: it is never changed."""


class MetricSnapshotQuerySet(models.QuerySet["MetricSnapshot"]):
    def for_providers(self, provider_ids: list[int]) -> MetricSnapshotQuerySet:
        """Keep snapshots of these providers (the caller has scoped them)."""
        return self.filter(provider_id__in=provider_ids)

    def provider_level(self) -> MetricSnapshotQuerySet:
        """Keep the whole-provider figures (not the per-team ones)."""
        return self.filter(team__isnull=True)

    def between(self, start: date, end: date) -> MetricSnapshotQuerySet:
        """Keep the months from ``start`` to ``end`` inclusive."""
        return self.filter(month__gte=start, month__lte=end)

    def update(self, **kwargs: Any) -> int:
        raise ImmutableSnapshotError("Snapshots are never changed.")


class MetricSnapshot(models.Model):
    """One figure for one provider (or one of its teams) for one calendar month.

    ``month`` is the first day of the month the figure describes; the figure is
    worked out as of that month's last day. ``dimension`` names what the metric is
    about when it has several (a training requirement's slug), else is blank.
    """

    provider = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="metric_snapshots"
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="metric_snapshots",
    )
    metric = models.CharField(max_length=60)
    dimension = models.CharField(max_length=120, blank=True, default="")
    month = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    numerator = models.PositiveIntegerField(null=True)
    denominator = models.PositiveIntegerField(null=True)
    suppressed = models.BooleanField(
        default=False, help_text="The group was too small to show this figure."
    )
    taken_at = models.DateTimeField(auto_now_add=True)

    objects = MetricSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["provider_id", "metric", "dimension", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "metric", "dimension", "month"],
                condition=Q(team__isnull=True),
                name="snapshot_one_per_provider_metric_month",
            ),
            models.UniqueConstraint(
                fields=["provider", "team", "metric", "dimension", "month"],
                condition=Q(team__isnull=False),
                name="snapshot_one_per_team_metric_month",
            ),
        ]
        indexes = [models.Index(fields=["provider", "month"])]

    def __str__(self) -> str:
        where = f"{self.provider_id}/{self.team_id or '-'}"
        return f"{where} {self.metric}:{self.dimension} {self.month:%Y-%m}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableSnapshotError("Snapshots are never changed.")
        super().save(*args, **kwargs)
