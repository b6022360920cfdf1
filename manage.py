#!/usr/bin/env python
"""Django's command-line utility for Sustain."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] != ["runserver"]:
        from config.querylog import stop_query_log

        stop_query_log()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
