"""The overdue ladder at each boundary and stage, as pure functions."""

from datetime import date, timedelta

import pytest

from supervision.rules import (
    PROMPT_AGAIN,
    PROMPT_LATEST,
    PROMPT_RUN,
    Stage,
    Status,
    check_in_prompts,
    counted_formats,
    escalation_recipient,
    interval_on,
    ladder,
    session_counts,
    status_on,
    support_prompt,
)

MONTHLY = [Stage(interval_days=28, ends_on=None)]
# Qualified 1 Jan 2026: weekly for 6 weeks, fortnightly until 6 months, then 28 days.
NQSW = [
    Stage(interval_days=7, ends_on=date(2026, 2, 12)),
    Stage(interval_days=14, ends_on=date(2026, 7, 1)),
    Stage(interval_days=28, ends_on=None),
]


def status(dates, as_of):
    return status_on(
        due_on=dates.due_on,
        due_soon_from=dates.due_soon_from,
        escalate_on=dates.escalate_on,
        escalate_twice_on=dates.escalate_twice_on,
        as_of=as_of,
    )


class TestLadderForA28DayInterval:
    dates = ladder(
        anchor=date(2026, 1, 1),
        stages=MONTHLY,
        due_soon_days=7,
        first_escalation_days=14,
    )

    def test_the_due_date_is_the_last_session_plus_the_interval(self):
        assert self.dates.due_on == date(2026, 1, 29)

    @pytest.mark.parametrize(
        ("as_of", "expected"),
        [
            (date(2026, 1, 1), Status.IN_DATE),
            (date(2026, 1, 21), Status.IN_DATE),
            (date(2026, 1, 22), Status.DUE_SOON),  # 7 days before due
            (
                date(2026, 1, 29),
                Status.DUE_SOON,
            ),  # a session on the due date is on time
            (date(2026, 1, 30), Status.OVERDUE),
            (date(2026, 2, 11), Status.OVERDUE),
            (date(2026, 2, 12), Status.ESCALATED),  # 14 days after due
            (date(2026, 2, 25), Status.ESCALATED),
            (date(2026, 2, 26), Status.ESCALATED_TWICE),  # 56 days since the last
        ],
    )
    def test_each_step_starts_on_its_boundary(self, as_of, expected):
        assert status(self.dates, as_of) is expected


class TestNewlyQualifiedStages:
    @pytest.mark.parametrize(
        ("anchor", "interval"),
        [
            (date(2026, 1, 1), 7),
            (date(2026, 2, 11), 7),  # last day of the first 6 weeks
            (date(2026, 2, 12), 14),
            (date(2026, 6, 30), 14),  # last day before 6 months
            (date(2026, 7, 1), 28),
            (date(2027, 1, 1), 28),
        ],
    )
    def test_the_stage_on_the_last_session_date_sets_the_interval(
        self, anchor, interval
    ):
        assert interval_on(NQSW, anchor) == interval

    def test_a_session_late_in_the_weekly_stage_still_sets_a_week(self):
        dates = ladder(
            anchor=date(2026, 2, 11),
            stages=NQSW,
            due_soon_days=7,
            first_escalation_days=14,
        )

        assert dates.due_on == date(2026, 2, 18)

    def test_weekly_supervision_reaches_the_second_escalation_before_the_first(self):
        dates = ladder(
            anchor=date(2026, 1, 1),
            stages=NQSW,
            due_soon_days=7,
            first_escalation_days=14,
        )

        assert status(dates, date(2026, 1, 8)) is Status.DUE_SOON
        assert status(dates, date(2026, 1, 9)) is Status.OVERDUE
        assert status(dates, date(2026, 1, 14)) is Status.OVERDUE
        assert status(dates, date(2026, 1, 15)) is Status.ESCALATED_TWICE

    def test_fortnightly_steps(self):
        dates = ladder(
            anchor=date(2026, 3, 1),
            stages=NQSW,
            due_soon_days=7,
            first_escalation_days=14,
        )
        due = date(2026, 3, 15)

        assert status(dates, due - timedelta(days=8)) is Status.IN_DATE
        assert status(dates, due - timedelta(days=7)) is Status.DUE_SOON
        assert status(dates, due + timedelta(days=1)) is Status.OVERDUE
        assert status(dates, due + timedelta(days=13)) is Status.OVERDUE
        # Twice 14 days since the last session is also 14 days after due: the more
        # serious status wins.
        assert status(dates, due + timedelta(days=14)) is Status.ESCALATED_TWICE


class TestNoPolicy:
    def test_no_dates_means_not_required(self):
        assert (
            status_on(
                due_on=None,
                due_soon_from=None,
                escalate_on=None,
                escalate_twice_on=None,
                as_of=date(2026, 3, 15),
            )
            is Status.NOT_REQUIRED
        )


class TestCheckInPrompts:
    @pytest.mark.parametrize(
        ("impact", "support", "workload", "prompts"),
        [
            (6, 4, 4, False),
            (7, 4, 4, True),
            (6, 3, 4, True),
            (6, 4, 3, True),
            (None, None, None, False),
            (0, 10, 10, False),
        ],
    )
    def test_the_thresholds_from_the_design(self, impact, support, workload, prompts):
        assert (
            check_in_prompts(
                impact=impact, switching_off=5, support=support, workload=workload
            )
            is prompts
        )


class TestWhichSessionsCount:
    """The clock resets only for a session long enough, in a format that counts."""

    NQSW_POLICY = {"min_minutes": 90, "counts_group": False, "counts_peer": False}
    DEFAULT_POLICY = {"min_minutes": 60, "counts_group": False, "counts_peer": False}

    @pytest.mark.parametrize(
        ("minutes", "counts"), [(10, False), (89, False), (90, True), (120, True)]
    )
    def test_a_short_session_does_not_count_for_a_newly_qualified_worker(
        self, minutes, counts
    ):
        assert (
            session_counts(
                format="one_to_one", duration_minutes=minutes, **self.NQSW_POLICY
            )
            is counts
        )

    @pytest.mark.parametrize(
        ("format", "counts"),
        [("one_to_one", True), ("group", False), ("peer", False), ("debrief", False)],
    )
    def test_only_one_to_one_counts_under_the_default_policy(self, format, counts):
        assert (
            session_counts(format=format, duration_minutes=60, **self.DEFAULT_POLICY)
            is counts
        )

    def test_a_policy_can_count_group_and_peer_but_never_a_debrief(self):
        assert counted_formats(counts_group=True, counts_peer=True) == {
            "one_to_one",
            "group",
            "peer",
        }


class TestConsolidation:
    QUARTERLY = [Stage(interval_days=90, ends_on=None)]

    def test_the_interval_is_capped_while_consolidation_runs(self):
        dates = ladder(
            anchor=date(2026, 3, 1),
            stages=self.QUARTERLY,
            due_soon_days=7,
            first_escalation_days=14,
            consolidation_until=date(2026, 3, 2),
            consolidation_interval_days=28,
        )
        assert (dates.interval_days, dates.due_on) == (28, date(2026, 3, 29))

    def test_from_the_day_consolidation_ends_the_stage_interval_applies(self):
        dates = ladder(
            anchor=date(2026, 3, 2),
            stages=self.QUARTERLY,
            due_soon_days=7,
            first_escalation_days=14,
            consolidation_until=date(2026, 3, 2),
            consolidation_interval_days=28,
        )
        assert dates.interval_days == 90


class TestSwitchingOffThreshold:
    """Module 5: a low score on switching off and sleeping suggests more help."""

    @pytest.mark.parametrize(("score", "prompts"), [(3, True), (4, False), (0, True)])
    def test_a_low_switching_off_score_prompts(self, score, prompts):
        assert (
            check_in_prompts(impact=2, switching_off=score, support=8, workload=8)
            is prompts
        )


class TestSupportPrompt:
    @pytest.mark.parametrize(
        ("recent", "expected"),
        [
            ([], ""),
            ([False], ""),
            ([False, True, True], ""),
            ([True], PROMPT_LATEST),
            ([True, True], PROMPT_LATEST),
            ([True, False, True], PROMPT_LATEST),
            ([True, True, True], PROMPT_AGAIN),
            ([True, True, True, False], PROMPT_AGAIN),
        ],
        ids=repr,
    )
    def test_three_in_a_row_prompts_again_and_the_latest_alone_once(
        self, recent, expected
    ):
        assert support_prompt(recent) == expected

    def test_the_run_is_three(self):
        assert PROMPT_RUN == 3


class TestEscalationRecipient:
    @pytest.mark.parametrize(
        ("supervisor", "their_manager", "line_manager", "expected"),
        [
            (1, 2, 3, 2),  # the supervisor's line manager first
            (1, None, 3, 3),  # else the person's own line manager
            (1, None, 1, None),  # unless that is the supervisor
            (None, None, 3, 3),  # no supervisor: the line manager
            (None, None, None, None),  # no one: the second rung reaches managers
            (1, 2, None, 2),
        ],
    )
    def test_the_ladder_of_who_hears(
        self, supervisor, their_manager, line_manager, expected
    ):
        assert (
            escalation_recipient(
                supervisor_id=supervisor,
                supervisors_manager_id=their_manager,
                line_manager_id=line_manager,
            )
            == expected
        )
