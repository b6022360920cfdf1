"""The per-person rule and the SQL annotation agree, person by person and in total."""

import threading
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from learning.models import Attempt, Completion, TrainingException, TrainingStatus
from learning.rules import ExceptionKind, training_status
from learning.services import submit_knowledge_check, sync_training_status
from tests.factories import JobRoleFactory, StaffProfileFactory, UserFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    make_module,
    right_answers,
)

START = date(2022, 1, 1)
days = st.integers(min_value=0, max_value=5 * 365)
person_plans = st.lists(
    st.fixed_dictionaries(
        {
            "started": days,
            "completions": st.lists(
                st.tuples(days, st.integers(min_value=1, max_value=3)),
                max_size=3,
                # The database holds one completion per person, module and day.
                unique_by=lambda completion: completion[0],
            ),
            "exception": st.one_of(
                st.none(),
                st.tuples(
                    st.sampled_from(list(ExceptionKind)),
                    st.one_of(st.none(), days),
                ),
            ),
        }
    ),
    min_size=1,
    max_size=6,
)


class TestPerPersonRuleAgreesWithTheAggregate(TestCase):
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        plans=person_plans,
        renewal=st.one_of(st.none(), st.integers(min_value=1, max_value=36)),
        due_soon_days=st.integers(min_value=0, max_value=90),
        minimum_version=st.integers(min_value=1, max_value=3),
        as_of_day=days,
    )
    def test_status_counts_agree_for_random_people_and_completions(
        self, plans, renewal, due_soon_days, minimum_version, as_of_day
    ):
        as_of = START + timedelta(days=as_of_day)
        role = JobRoleFactory(slug="social-worker")
        module = make_module()
        requirement = RequirementFactory(
            module=module,
            job_roles=[role],
            renewal_months=renewal,
            due_soon_days=due_soon_days,
            minimum_version=minimum_version,
            effective_from=START,
        )
        recorder = UserFactory()
        for plan in plans:
            person = StaffProfileFactory(
                job_role=role, started_in_role=START + timedelta(days=plan["started"])
            )
            for day, version in plan["completions"]:
                CompletionFactory(
                    person=person,
                    module=module,
                    completed_on=START + timedelta(days=day),
                    content_version=version,
                )
            if plan["exception"]:
                kind, until = plan["exception"]
                until_date = (
                    START + timedelta(days=until) if until is not None else None
                )
                if kind == ExceptionKind.EXTENSION and until_date is None:
                    until_date = START + timedelta(days=400)
                TrainingException.objects.create(
                    person=person,
                    requirement=requirement,
                    kind=kind,
                    reason="other",
                    until=until_date,
                    recorded_by=recorder,
                )
        sync_training_status(as_of=as_of)

        rows = TrainingStatus.objects.filter(requirement=requirement).with_status(as_of)
        per_person = Counter()
        for row in rows:
            expected = training_status(row.dates, as_of=as_of)
            assert row.status == expected
            per_person[expected] += 1
        aggregate = {
            item["status"]: item["n"]
            for item in TrainingStatus.objects.filter(requirement=requirement)
            .with_status(as_of)
            .values("status")
            .annotate(n=Count("pk"))
        }
        assert aggregate == dict(per_person)
        assert sum(aggregate.values()) == len(plans)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentSubmissions:
    def test_identical_submissions_at_once_record_exactly_one_completion(self, as_of):
        role = JobRoleFactory(slug="social-worker")
        requirement = RequirementFactory(job_roles=[role])
        person = StaffProfileFactory(job_role=role)
        module, token = requirement.module, uuid.uuid4()
        answers = right_answers(module)
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def submit() -> None:
            try:
                barrier.wait()
                submit_knowledge_check(
                    person=person,
                    module=module,
                    token=token,
                    answers=answers,
                    as_of=as_of,
                )
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=submit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert Attempt.objects.count() == 1
        assert Completion.objects.count() == 1
