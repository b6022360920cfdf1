"""The demo training: mixed statuses for the practitioner, idempotent and quick."""

import time

import pytest

from learning import demo
from learning.models import Completion, Requirement, TrainingStatus
from learning.rules import Status, training_status
from workforce.dates import today
from workforce.demo import seed_workforce

pytestmark = pytest.mark.django_db


class TestLearningDemo:
    def test_the_practitioner_has_mixed_statuses_and_a_rerun_adds_nothing(
        self,
    ):
        as_of = today()
        workforce = seed_workforce(as_of=as_of)
        started = time.monotonic()
        demo.seed(as_of=as_of, workforce=workforce)
        assert time.monotonic() - started < 20

        rows = TrainingStatus.objects.filter(
            person__user__username="practitioner"
        ).select_related("requirement__module")
        statuses = {training_status(row.dates, as_of=as_of) for row in rows}
        assert {Status.IN_DATE, Status.DUE_SOON, Status.OVERDUE} <= statuses
        assert rows.count() >= 4
        assert Requirement.objects.count() == 5
        assert (
            TrainingStatus.objects.overdue(as_of)
            .exclude(person__user__username="practitioner")
            .exists()
        )

        completions = Completion.objects.count()
        summary = demo.seed(as_of=as_of, workforce=workforce)
        assert "0 completions added; 0 status rows changed" in summary
        assert Completion.objects.count() == completions
