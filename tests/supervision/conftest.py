import pytest

from accounts.roles import Role
from supervision.services import ensure_default_policies
from tests.factories import JobRoleFactory


@pytest.fixture
def nqsw_role(db):
    role = JobRoleFactory(slug="nqsw", name="Newly qualified social worker")
    ensure_default_policies()
    return role


@pytest.fixture
def pair(make_person):
    """A supervisor and one frontline supervisee in the same organisation."""
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    supervisee = make_person(
        Role.PRACTITIONER,
        organisation=supervisor.organisation,
        team=supervisor.team,
        supervisor=supervisor,
        line_manager=supervisor,
    )
    return supervisor, supervisee
