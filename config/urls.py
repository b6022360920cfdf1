"""Top-level URLs. Wagtail serves the page tree (the training catalogue) last."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts.sso import SignInStartView
from home import views as home_views
from notifications import views as notification_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("accounts.urls")),
    # Single sign-on (OpenID Connect): /oidc/authenticate/ (the site's provider),
    # /oidc/authenticate/<organisation>/ (an organisation's) and /oidc/callback/.
    path(
        "oidc/authenticate/<slug:organisation>/",
        SignInStartView.as_view(),
        name="sso_start",
    ),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("workforce/", include("workforce.urls")),
    path("learning/", include("learning.urls")),
    path("supervision/", include("supervision.urls")),
    path("commissioning/", include("commissioning.urls")),
    path("api/v1/", include("commissioning.api_urls")),
    path("notifications/", include("notifications.urls")),
    path("health/", notification_views.health, name="health"),
    # Browsers ask for /favicon.ico whatever the page says; send them to the icon.
    path("favicon.ico", home_views.favicon, name="favicon"),
    path("", include("home.urls")),
]

if settings.DEBUG:
    from django.urls import re_path

    # Development only: Wagtail's images. The view normalises the path and serves
    # only the folders in PUBLIC_MEDIA_FOLDERS; training evidence goes through its
    # own scoped download view, in every mode.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", home_views.public_media)]

urlpatterns += [path("", include(wagtail_urls))]

handler404 = home_views.page_not_found
handler500 = home_views.server_error
