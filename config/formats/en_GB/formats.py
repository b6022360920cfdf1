"""One date and one time style across the service, as the GOV.UK style guide asks.

Dates read "1 December 2026"; times read "4:24pm" (the ``govuk_time`` filter turns
Django's "p.m." into "pm", and says "midday" and "midnight").
"""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, g:ia"
SHORT_DATETIME_FORMAT = "j F Y, g:ia"
TIME_FORMAT = "g:ia"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
