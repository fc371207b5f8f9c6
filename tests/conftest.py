import pytest
from django.conf import settings
from django.utils import translation

from departments.constants import Role
from tests.factories import DepartmentFactory, StaffFactory
from tests.lottery.conftest import closed, lottery_world, open_round  # noqa: F401 - for tests/integration
from tests.registry_server import registry_server  # noqa: F401 - a fixture for every test
from tests.sign_in import sign_in


def pytest_collection_modifyitems(config, items):
    """Integration tests need PostgreSQL (real workers share the database with the test),
    and ``postgresql`` tests are about a PostgreSQL-only path: on the embedded SQLite
    run both are deselected, and the PostgreSQL run of ``python3 dev.py test`` runs them;
    ``sqlite`` tests, about the embedded default's own path, run on SQLite only."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        selected = [item for item in items if item.get_closest_marker("sqlite") is None]
    else:
        selected = [
            item
            for item in items
            if item.get_closest_marker("integration") is None
            and item.get_closest_marker("postgresql") is None
        ]
    if len(selected) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in selected])
        items[:] = selected


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts, and ends, in the default language: a request in English through
    Django's test client leaves English active in the thread (LocaleMiddleware activates
    a language and nothing deactivates it), and a later test's service call would then
    write English text where it expects Chinese, depending on the order tests ran in."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_working_calendar():
    """The entered holiday years are cached per process and in Django's cache; the
    database rolls back after each test, so each test starts from what it holds."""
    from cases.workdays import forget_loaded_calendar

    forget_loaded_calendar()
    yield
    forget_loaded_calendar()


@pytest.fixture
def department(db):
    return DepartmentFactory(code="A", name="市市场监督管理局")


@pytest.fixture
def other_department(db):
    return DepartmentFactory(code="B", name="市公安局")


@pytest.fixture
def clerk(db):
    return StaffFactory(username="clerk_test", role=Role.CLERK)


@pytest.fixture
def agent(db):
    return StaffFactory(username="agent_test", role=Role.AGENT)


@pytest.fixture
def reviewer(department):
    return StaffFactory(username="reviewer_test", role=Role.REVIEWER, department=department)


@pytest.fixture
def other_reviewer(other_department):
    return StaffFactory(username="reviewer_other", role=Role.REVIEWER, department=other_department)


@pytest.fixture
def superuser(db):
    return StaffFactory(username="root_test", role=Role.SUPERVISOR, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's, signed in as the staff sign-in leaves a superuser: with the second
    factor passed (tests/sign_in.py)."""
    return sign_in(client, admin_user)
