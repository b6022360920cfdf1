"""The daily sweep: flags, reminders, escalations and digests, each written once."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learning.models import TrainingStatus
from notifications.models import (
    Flag,
    FlagKind,
    FlagLevel,
    Notification,
    NotificationKind,
    SweepChunk,
    SweepRun,
    SweepRunStatus,
)
from notifications.services import deliver_pending
from notifications.sweep import (
    chunk_bounds,
    finish_daily_sweep,
    plan_daily_sweep,
    run_daily_sweep,
    sweep_chunk,
)
from notifications.tasks import run_daily_sweep_task
from supervision.models import SupervisionStatus
from tests.factories import UserFactory
from tests.factories.learning import CompletionFactory
from tests.notifications.sweep_world import build_world, snapshot

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 18)  # a Wednesday
MONDAY = date(2026, 3, 23)
TABLES = (TrainingStatus, SupervisionStatus, Flag, Notification, SweepChunk, SweepRun)


@pytest.fixture
def world():
    return build_world()


def sent(person=None) -> set[tuple[str, str]]:
    """The (recipient username, kind) of every outbox row, about ``person`` if given."""
    rows = Notification.objects.all()
    if person is not None:
        rows = rows.filter(subject_person=person)
    return set(rows.values_list("recipient__username", "kind"))


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


class TestTrainingBoundaries:
    @pytest.mark.parametrize("days", [0, -1], ids=["deadline today", "yesterday"])
    def test_a_deadline_today_or_past_opens_a_flag_and_tells_person_and_supervisor(
        self, world, days
    ):
        person = world.trainee(deadline=AS_OF + timedelta(days))

        run_daily_sweep(as_of=AS_OF)

        flag = Flag.objects.get(person=person)
        assert (flag.kind, flag.requirement, flag.level) == (
            FlagKind.TRAINING,
            world.requirement,
            FlagLevel.OVERDUE,
        )
        assert (flag.deadline, flag.opened_on, flag.closed_on) == (
            AS_OF + timedelta(days),
            AS_OF,
            None,
        )
        assert sent(person) == {
            (person.user.username, NotificationKind.TRAINING_OVERDUE),
            (world.supervisor.user.username, NotificationKind.TRAINING_OVERDUE),
        }
        mine = Notification.objects.get(recipient=person.user)
        assert mine.subject == "Your training on Understanding CSE is overdue"

    @pytest.mark.parametrize(
        ("days", "kind"),
        [
            (1, NotificationKind.TRAINING_REMINDER_7),
            (7, NotificationKind.TRAINING_REMINDER_7),
            (8, NotificationKind.TRAINING_REMINDER_30),
            (30, NotificationKind.TRAINING_REMINDER_30),
        ],
    )
    def test_a_coming_deadline_reminds_the_person_only_and_opens_no_flag(
        self, world, days, kind
    ):
        person = world.trainee(deadline=AS_OF + timedelta(days))

        run_daily_sweep(as_of=AS_OF)

        assert not Flag.objects.exists()
        assert sent(person) == {(person.user.username, kind)}

    def test_tomorrows_deadline_says_one_day_left(self, world):
        person = world.trainee(deadline=AS_OF + timedelta(1))

        run_daily_sweep(as_of=AS_OF)

        reminder = Notification.objects.get(recipient=person.user)
        assert reminder.subject == "Your training on Understanding CSE is due in 1 day"
        assert "by 19 March 2026, in 1 day." in reminder.body_text

    def test_a_deadline_more_than_30_days_away_sends_nothing(self, world):
        world.trainee(deadline=AS_OF + timedelta(31))

        run_daily_sweep(as_of=AS_OF)

        assert not Notification.objects.exists()
        assert not Flag.objects.exists()

    def test_each_reminder_goes_once_however_many_days_the_window_lasts(self, world):
        person = world.trainee(deadline=AS_OF + timedelta(30))

        for day in range(31):
            run_daily_sweep(as_of=AS_OF + timedelta(day))

        kinds = list(
            Notification.objects.filter(recipient=person.user).values_list(
                "kind", flat=True
            )
        )
        assert sorted(kinds) == sorted(
            [
                NotificationKind.TRAINING_REMINDER_30,
                NotificationKind.TRAINING_REMINDER_7,
                NotificationKind.TRAINING_OVERDUE,
            ]
        )


class TestSupervisionBoundaries:
    @pytest.mark.parametrize("days", [0, 1, 7], ids=["today", "tomorrow", "in 7"])
    def test_due_today_or_soon_tells_person_and_supervisor_and_opens_no_flag(
        self, world, days
    ):
        person = world.supervisee(due_on=AS_OF + timedelta(days))

        run_daily_sweep(as_of=AS_OF)

        # No supervision flag; with nothing booked, only the booking control's.
        assert set(Flag.objects.values_list("kind", flat=True)) == {FlagKind.NO_BOOKING}
        assert sent(person) == {
            (person.user.username, NotificationKind.SUPERVISION_DUE_SOON),
            (world.supervisor.user.username, NotificationKind.SUPERVISION_DUE_SOON),
            (person.user.username, NotificationKind.SUPERVISION_CHECK),
            (world.supervisor.user.username, NotificationKind.SUPERVISION_CHECK),
        }

    def test_due_in_8_days_sends_nothing(self, world):
        world.supervisee(due_on=AS_OF + timedelta(8))

        run_daily_sweep(as_of=AS_OF)

        assert not Notification.objects.exists()

    def test_due_yesterday_opens_an_overdue_flag_for_person_and_supervisor(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(1))

        run_daily_sweep(as_of=AS_OF)

        flag = Flag.objects.get(person=person)
        assert (flag.kind, flag.requirement, flag.level, flag.deadline) == (
            FlagKind.SUPERVISION,
            None,
            FlagLevel.OVERDUE,
            AS_OF - timedelta(1),
        )
        assert sent(person) == {
            (person.user.username, NotificationKind.SUPERVISION_OVERDUE),
            (world.supervisor.user.username, NotificationKind.SUPERVISION_OVERDUE),
        }

    def test_14_days_late_escalates_to_the_supervisors_line_manager(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(14))

        run_daily_sweep(as_of=AS_OF)

        flag = Flag.objects.get(person=person)
        assert (flag.level, flag.escalated_on) == (FlagLevel.ESCALATED, AS_OF)
        assert sent(person) == {
            (person.user.username, NotificationKind.SUPERVISION_OVERDUE),
            (world.supervisor.user.username, NotificationKind.SUPERVISION_OVERDUE),
            (world.line_manager.user.username, NotificationKind.SUPERVISION_ESCALATED),
        }

    def test_twice_the_interval_escalates_to_the_provider_managers(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(28))

        run_daily_sweep(as_of=AS_OF)

        assert Flag.objects.get(person=person).level == FlagLevel.ESCALATED_TWICE
        assert (
            world.provider_manager.user.username,
            NotificationKind.SUPERVISION_ESCALATED_TWICE,
        ) in sent(person)
        assert (
            world.line_manager.user.username,
            NotificationKind.SUPERVISION_ESCALATED,
        ) in sent(person)

    def test_without_a_supervisors_manager_the_persons_line_manager_is_told(
        self, world
    ):
        world.supervisor.line_manager = None
        world.supervisor.save()
        own_manager = world.staff(world.training_role, AS_OF + timedelta(300))
        person = world.supervisee(
            due_on=AS_OF - timedelta(14), line_manager=own_manager
        )

        run_daily_sweep(as_of=AS_OF)

        escalated = Notification.objects.get(
            kind=NotificationKind.SUPERVISION_ESCALATED
        )
        assert (escalated.recipient, escalated.subject_person) == (
            own_manager.user,
            person,
        )


class TestFlagLifecycle:
    def test_a_flag_escalates_day_by_day_and_each_manager_hears_once(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(1))

        for day in range(30):
            run_daily_sweep(as_of=AS_OF + timedelta(day))

        flag = Flag.objects.get(person=person)
        assert flag.level == FlagLevel.ESCALATED_TWICE
        assert flag.opened_on == AS_OF
        assert flag.escalated_on == AS_OF + timedelta(13)
        kinds = list(
            Notification.objects.filter(subject_person=person).values_list(
                "kind", flat=True
            )
        )
        assert sorted(kinds) == sorted(
            [
                NotificationKind.SUPERVISION_OVERDUE,
                NotificationKind.SUPERVISION_OVERDUE,
                NotificationKind.SUPERVISION_ESCALATED,
                NotificationKind.SUPERVISION_ESCALATED_TWICE,
            ]
        )

    def test_completing_the_training_closes_the_flag_the_next_day(self, world):
        person = world.trainee(deadline=AS_OF - timedelta(1))
        run_daily_sweep(as_of=AS_OF)
        CompletionFactory(
            person=person, module=world.requirement.module, completed_on=AS_OF
        )

        run_daily_sweep(as_of=AS_OF + timedelta(1))

        flag = Flag.objects.get(person=person)
        assert flag.closed_on == AS_OF + timedelta(1)
        assert not Flag.objects.open().exists()

    def test_a_person_who_has_left_has_their_flags_closed(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(1))
        run_daily_sweep(as_of=AS_OF)
        person.left_on = AS_OF
        person.save()

        run_daily_sweep(as_of=AS_OF + timedelta(1))

        assert Flag.objects.get(person=person).closed_on == AS_OF + timedelta(1)

    def test_flags_show_only_to_people_who_may_see_the_person(self, world):
        person = world.supervisee(due_on=AS_OF - timedelta(1))
        stranger = UserFactory()
        run_daily_sweep(as_of=AS_OF)

        assert list(Flag.objects.for_user(world.supervisor.user)) == list(
            Flag.objects.filter(person=person)
        )
        assert Flag.objects.for_user(person.user).count() == 1
        assert not Flag.objects.for_user(stranger).exists()


class TestRunningTwice:
    def test_a_second_run_on_the_same_day_writes_nothing_and_sends_nothing(self, world):
        world.trainee(deadline=AS_OF)
        world.trainee(deadline=AS_OF + timedelta(5))
        world.supervisee(due_on=AS_OF - timedelta(20))
        world.supervisee(due_on=AS_OF + timedelta(2))
        first = run_daily_sweep(as_of=AS_OF, chunk_size=2)
        deliver_pending(now=timezone.now())
        emails, before = len(mail.outbox), row_counts()

        with CaptureQueriesContext(connection) as queries:
            second = run_daily_sweep(as_of=AS_OF, chunk_size=2)
        deliver_pending(now=timezone.now())

        assert first.rows_written > 0 and first.chunks_run > 1
        assert second.chunks_run == 0 and second.rows_written == 0
        assert row_counts() == before
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
        assert writes == []
        assert emails > 0 and len(mail.outbox) == emails

    def test_sweeping_every_chunk_again_changes_no_status_flag_or_message(self, world):
        world.trainee(deadline=AS_OF)
        world.supervisee(due_on=AS_OF - timedelta(28))
        world.supervisee(due_on=AS_OF + timedelta(3))
        run_daily_sweep(as_of=AS_OF)
        before = snapshot()
        # Forget the day's records, as if they had never been written.
        SweepRun.objects.all().delete()
        SweepChunk.objects.all().delete()

        again = run_daily_sweep(as_of=AS_OF)

        assert again.chunks_run >= 1
        assert again.rows_written == 0
        assert snapshot() == before

    def test_a_run_that_dies_mid_chunk_redoes_only_that_chunk(self, world, monkeypatch):
        people = [world.trainee(deadline=AS_OF - timedelta(n)) for n in range(6)]
        people += [world.supervisee(due_on=AS_OF - timedelta(n)) for n in (1, 15, 30)]
        clean = _clean_run_snapshot()
        import notifications.sweep as sweep

        real = sweep.maintain_flags
        calls = []

        def dies_on_the_second_chunk(**kwargs):
            calls.append(kwargs["lo"])
            if len(calls) == 2:
                raise RuntimeError("worker lost")
            return real(**kwargs)

        monkeypatch.setattr(sweep, "maintain_flags", dies_on_the_second_chunk)
        with pytest.raises(RuntimeError):
            run_daily_sweep(as_of=AS_OF, chunk_size=4)
        run = SweepRun.objects.get()
        assert run.status == SweepRunStatus.FAILED
        done = SweepChunk.objects.filter(done_at__isnull=False).count()
        assert done == 1

        monkeypatch.setattr(sweep, "maintain_flags", real)
        result = run_daily_sweep(as_of=AS_OF, chunk_size=4)

        assert result.chunks_run == result.chunks_total - 1
        assert SweepRun.objects.get().status == SweepRunStatus.SUCCEEDED
        assert snapshot() == clean


def _clean_run_snapshot() -> dict[str, set[tuple]]:
    """Run the sweep on the data as it stands, note the result, then undo it."""
    run_daily_sweep(as_of=AS_OF, chunk_size=4)
    result = snapshot()
    for model in (Flag, Notification, SweepChunk, SweepRun):
        model.objects.all().delete()
    return result


class TestTwoBeatsOverThreeDays:
    def test_each_days_effects_happen_once(self, world, settings):
        settings.CELERY_BROKER_URL = ""  # embedded mode: the task runs inline
        person = world.supervisee(due_on=AS_OF)
        trainee = world.trainee(deadline=AS_OF + timedelta(1))
        days = [AS_OF, AS_OF + timedelta(1), AS_OF + timedelta(2)]
        supervisor = world.supervisor.user.email

        emails: dict[date, list] = {}
        for day in days:
            for _beat in ("first", "second"):
                run_daily_sweep_task.apply(kwargs={"as_of": day.isoformat()})
            mail.outbox.clear()
            deliver_pending(now=timezone.now())
            emails[day] = list(mail.outbox)

        runs = SweepRun.objects.order_by("date")
        assert [(r.date, r.status) for r in runs] == [
            (day, SweepRunStatus.SUCCEEDED) for day in days
        ]
        # Each event is on the notifications page once, whoever it is for.
        assert sorted(
            Notification.objects.exclude(
                kind=NotificationKind.DAILY_DIGEST
            ).values_list("kind", "key_date")
        ) == sorted(
            [
                # day 1: supervision due today with nothing booked (the booking
                # control opened when due soon, 7 days before); training due
                # tomorrow
                (NotificationKind.SUPERVISION_DUE_SOON, AS_OF),
                (NotificationKind.SUPERVISION_DUE_SOON, AS_OF),
                (NotificationKind.SUPERVISION_CHECK, AS_OF - timedelta(7)),
                (NotificationKind.SUPERVISION_CHECK, AS_OF - timedelta(7)),
                (NotificationKind.TRAINING_REMINDER_7, AS_OF + timedelta(1)),
                # day 2: both late
                (NotificationKind.SUPERVISION_OVERDUE, AS_OF),
                (NotificationKind.SUPERVISION_OVERDUE, AS_OF),
                (NotificationKind.TRAINING_OVERDUE, AS_OF + timedelta(1)),
                (NotificationKind.TRAINING_OVERDUE, AS_OF + timedelta(1)),
                # day 3: nothing new
            ]
        )
        # The people themselves get each of their messages at once; their supervisor
        # gets one summary a day holding that day's messages about them, each once.
        received = {
            day: sorted((m.to[0], m.subject.split(":")[0]) for m in sent_that_day)
            for day, sent_that_day in emails.items()
        }
        summary = "Your Sustain summary for {}"
        assert [to for to, _ in received[days[0]]].count(supervisor) == 1
        assert (supervisor, summary.format("18 March 2026")) in received[days[0]]
        assert [to for to, _ in received[days[1]]].count(supervisor) == 1
        assert (supervisor, summary.format("19 March 2026")) in received[days[1]]
        assert received[days[2]] == []
        assert {to for to, _ in received[days[0]]} == {
            supervisor,
            person.user.email,
            trainee.user.email,
        }
        first, second = (
            next(m for m in emails[day] if m.to == [supervisor]) for day in days[:2]
        )
        assert first.body.count(f"Supervision for {person.full_name}") == 1
        assert person.full_name in first.body and trainee.full_name not in first.body
        assert second.body.count(f"Supervision for {person.full_name}") == 1
        assert second.body.count(f"{trainee.full_name}'s training") == 1
        digests = Notification.objects.filter(kind=NotificationKind.DAILY_DIGEST)
        assert sorted(digests.values_list("key_date", flat=True)) == days[:2]
        # Day 1: due soon, and nothing booked; day 2: overdue, and the training.
        assert [d.digested.count() for d in digests.order_by("key_date")] == [2, 2]
        assert not Notification.objects.filter(status="held").exists()
        # The booking flag closed once the overdue flag took over on day 2.
        assert Flag.objects.open().get(person=person).kind == FlagKind.SUPERVISION
        assert Flag.objects.filter(person=trainee).count() == 1
        assert SweepChunk.objects.filter(done_at__isnull=True).count() == 0


class TestWeeklyDigest:
    def test_on_mondays_supervisors_and_managers_get_counts_without_names(self, world):
        late = world.supervisee(due_on=MONDAY - timedelta(15))
        world.trainee(deadline=MONDAY - timedelta(3))

        run_daily_sweep(as_of=MONDAY)

        digests = {
            n.recipient: n
            for n in Notification.objects.filter(kind=NotificationKind.WEEKLY_DIGEST)
        }
        assert set(digests) == {world.supervisor.user, world.provider_manager.user}
        assert all(n.key_date == MONDAY for n in digests.values())
        supervisor = digests[world.supervisor.user].body_text
        assert "2 of your supervisees have something overdue" in supervisor
        assert "1 supervision escalation among your supervisees" in supervisor
        manager = digests[world.provider_manager.user].body_text
        assert "2 people in your organisation have something overdue" in manager
        assert late.full_name not in supervisor + manager

    def test_no_digest_on_other_days(self, world):
        world.supervisee(due_on=AS_OF - timedelta(15))

        run_daily_sweep(as_of=AS_OF)

        assert not Notification.objects.filter(
            kind=NotificationKind.WEEKLY_DIGEST
        ).exists()


class TestPlanning:
    def test_chunks_cover_everyone_with_a_bounded_number_of_active_people(self, world):
        people = [world.trainee(deadline=AS_OF + timedelta(60)) for _ in range(5)]
        people[4].left_on = AS_OF - timedelta(1)
        people[4].save()

        bounds = chunk_bounds(as_of=AS_OF, chunk_size=3)

        managers = [world.provider_manager, world.line_manager, world.supervisor]
        active = sorted(p.pk for p in [*managers, *people] if p.left_on is None)
        assert [len([i for i in active if lo <= i <= hi]) for lo, hi in bounds] == [
            3,
            3,
            1,
        ]
        assert bounds[0][0] == 0 and bounds[-1][1] == people[4].pk
        assert all(a[1] + 1 == b[0] for a, b in pairwise(bounds))

    def test_there_are_never_more_than_100_chunks(self, world, monkeypatch):
        import notifications.sweep as sweep

        monkeypatch.setattr(sweep, "MAX_CHUNKS", 2)
        for _ in range(3):
            world.trainee(deadline=AS_OF + timedelta(60))

        assert len(chunk_bounds(as_of=AS_OF, chunk_size=1)) == 2

    def test_a_second_planner_gets_the_same_chunks_and_only_unfinished_ones(
        self, world
    ):
        first = plan_daily_sweep(as_of=AS_OF, chunk_size=1)
        lo, hi = first[0]
        sweep_chunk(as_of=AS_OF, lo=lo, hi=hi)

        second = plan_daily_sweep(as_of=AS_OF, chunk_size=50)

        assert second == first[1:]
        assert finish_daily_sweep(as_of=AS_OF) is None


class TestHealthAndCommand:
    def test_health_reports_the_finished_sweep(self, world, client):
        world.supervisee(due_on=AS_OF - timedelta(1))
        run_daily_sweep(as_of=AS_OF)

        last = client.get("/health/").json()["last_sweep"]

        assert last["date"] == AS_OF.isoformat()
        assert last["status"] == "succeeded"
        assert last["finished_at"] is not None
        assert last["counts"]["flags_opened"] == 1
        assert last["counts"]["notifications"] == 2

    def test_the_sweep_command_runs_the_day_given_once(self, world, capsys):
        world.trainee(deadline=AS_OF)

        call_command("sweep", "--date", AS_OF.isoformat())
        call_command("sweep", "--date", AS_OF.isoformat())

        out = capsys.readouterr().out
        assert "flags_opened 1" in out
        assert "nothing to do" in out
        assert Flag.objects.count() == 1

    def test_the_sweep_command_rejects_a_bad_date(self):
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("sweep", "--date", "18/03/2026")


class TestSchedule:
    def test_beat_runs_the_sweep_daily_and_the_supervision_purge(self, settings):
        entries = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}

        assert "notifications.tasks.run_daily_sweep_task" in entries
        assert "supervision.tasks.purge_expired_content_task" in entries

    def test_run_scheduler_sweeps_without_redis(self, settings):
        settings.CELERY_BROKER_URL = ""

        call_command("run_scheduler", "--once")

        assert SweepRun.objects.get().status == SweepRunStatus.SUCCEEDED
