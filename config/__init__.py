"""The Sustain site package (settings, URLs, WSGI and the Celery app).

It is called ``config`` rather than ``site`` because Python's own ``site`` module is
imported first at start-up, so a package of that name could never be imported.
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
