"""The GOV.UK patterns every page shares: dates, times, the date input, messages."""

from datetime import date, datetime, time

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory

from home.forms import GovukDateField, ServiceForm
from home.navigation import navigation
from home.templatetags.govuk_dates import govuk_date, govuk_datetime, govuk_time


class TestDatesAndTimes:
    def test_a_date_reads_day_month_name_year(self):
        assert govuk_date(date(2026, 12, 1)) == "1 December 2026"

    @pytest.mark.parametrize(
        ("moment", "text"),
        [
            (time(16, 24), "4:24pm"),
            (time(10, 0), "10am"),
            (time(12, 0), "midday"),
            (time(0, 0), "midnight"),
            (time(0, 5), "12:05am"),
        ],
    )
    def test_a_time_reads_the_gov_uk_way(self, moment, text):
        assert govuk_time(moment) == text

    def test_a_moment_joins_date_and_time(self):
        assert (
            govuk_datetime(datetime(2026, 12, 1, 16, 24)) == "1 December 2026 at 4:24pm"
        )

    def test_the_date_filter_without_a_format_uses_the_one_style(self):
        rendered = Template("{{ day|date }}").render(
            Context({"day": date(2026, 12, 1)})
        )
        assert rendered == "1 December 2026"


class DateForm(ServiceForm):
    held_on = GovukDateField(label="Date of the session", earliest=date(1950, 1, 1))
    name = forms.CharField(label="Full name")
    team = forms.ChoiceField(label="Team", choices=[("a", "A")])


class TestTheDateInput:
    def test_three_boxes_make_a_date(self):
        form = DateForm(
            {
                "held_on-day": "9",
                "held_on-month": "3",
                "held_on-year": "2026",
                "name": "x",
                "team": "a",
            }
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["held_on"] == date(2026, 3, 9)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"held_on-day": "31", "held_on-month": "2", "held_on-year": "2026"},
                "that day does not exist",
            ),
            ({"held_on-day": "1", "held_on-year": "2026"}, "must include a month"),
            (
                {"held_on-day": "1", "held_on-month": "2", "held_on-year": "26"},
                "must include 4 numbers",
            ),
            (
                {"held_on-day": "x", "held_on-month": "2", "held_on-year": "2026"},
                "must be a real date",
            ),
            ({"held_on": "30/04/1949"}, "on or after 1 January 1950"),
            ({}, "Enter date of the session"),
        ],
    )
    def test_a_bad_date_gets_a_message_for_this_service(self, data, message):
        form = DateForm({"name": "x", "team": "a", **data})
        assert not form.is_valid()
        assert message in form.errors["held_on"][0]

    def test_a_uk_date_typed_as_one_value_is_read(self):
        form = DateForm({"held_on": "30/04/2025", "name": "x", "team": "a"})
        assert form.is_valid()
        assert form.cleaned_data["held_on"] == date(2025, 4, 30)

    def test_the_boxes_render_inside_a_fieldset_with_a_legend(self):
        form = DateForm(
            {"held_on-day": "31", "held_on-month": "2", "held_on-year": "2026"}
        )
        form.is_valid()
        html = Template(
            '{% include "includes/field.html" with field=form.held_on %}'
        ).render(Context({"form": form}))
        assert "govuk-fieldset__legend" in html and 'name="held_on-day"' in html
        assert 'value="31"' in html and 'id="id_held_on-error"' in html


class TestServiceMessages:
    def test_no_field_says_this_field_is_required(self):
        form = DateForm({})
        form.is_valid()
        messages = [str(m) for errors in form.errors.values() for m in errors]
        assert "This field is required." not in messages
        assert "Enter full name" in messages and "Select team" in messages


class TestNavigation:
    def test_only_the_longest_matching_item_is_active(self, monkeypatch):
        from accounts.roles import Role

        monkeypatch.setattr("home.navigation.roles_of", lambda user: set(Role))
        request = RequestFactory().get("/supervision/supervisees/")
        request.user = None
        items = navigation(request)["navigation"]
        assert [item["label"] for item in items if item["active"]] == ["Supervisees"]
