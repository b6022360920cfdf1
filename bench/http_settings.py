"""Settings for the HTTP benchmark: the benchmark's own, with the bare view added."""

from config.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
