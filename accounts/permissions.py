"""Which Django permissions each role's group holds, applied after every migrate.

Apps add their own entries here; a permission that does not exist yet is skipped, so
the groups catch up on the next migrate.
"""

from accounts.roles import Role

WORKFORCE_MODELS = (
    "organisation",
    "commissioningcontract",
    "team",
    "jobrole",
    "staffprofile",
    "caseloadsnapshot",
)


def _crud(app_label: str, *models: str) -> list[str]:
    return [
        f"{app_label}.{action}_{model}"
        for model in models
        for action in ("add", "change", "delete", "view")
    ]


ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.PRACTITIONER: [],
    Role.SUPERVISOR: [],
    Role.PROVIDER_MANAGER: [],
    Role.COMMISSIONER: [],
    Role.CONTENT_EDITOR: [
        "wagtailadmin.access_admin",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        # Module feedback and statistics reports (page rights come from the loader).
        "learning.view_feedback",
    ],
    Role.PLATFORM_ADMIN: [
        "wagtailadmin.access_admin",
        "wagtailusers.add_userprofile",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        # Single sign-on: set through the admin's service, which audits each change.
        *_crud("accounts", "organisationsignin"),
        *_crud("workforce", *WORKFORCE_MODELS),
        *_crud("supervision", "supervisionpolicy", "policystage"),
        *_crud("learning", "requirement"),
        # Learner records are evidence: admins read them, services write them.
        "learning.view_completion",
        "learning.view_trainingexception",
        "learning.view_externaltraining",
        "learning.view_feedback",
    ],
}
