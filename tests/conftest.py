"""Fixtures in the flaskr style. Every test that takes ``app`` runs on SQLite and PostgreSQL.

The schema is built once per backend by the real migrations (no ``create_all``): SQLite
tests copy a migrated template file; PostgreSQL tests share one migrated schema per run
and truncate it after each test. Services that are not here are skipped, unless named in
``RECTIFY_TEST_REQUIRE`` (comma-separated: postgres, browser, libreoffice), which CI sets.
"""
import contextvars
import os
import shutil
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date

import psycopg
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from rectify import create_app
from rectify.accounts.sessions import start_session
from rectify.core.database import upgrade_database
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.models import Batch, Department, Measure, Person, Problem, Role, SourceKind, User

POSTGRES_URL = os.environ.get(
    "RECTIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # Under libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1 (how the suite is checked to pass on
    # any date), its clock_nanosleep answers EINVAL, so time.sleep fails everywhere — here, in
    # subprocess's waits and in libraries. A condition wait sleeps the same and works there.
    def _sleep(seconds):
        threading.Event().wait(seconds)

    time.sleep = _sleep

REQUIRED = {name.strip() for name in os.environ.get("RECTIFY_TEST_REQUIRE", "").split(",") if name.strip()}
# Not "Zhenggai2023!" any more: the system's own name (整改) is among the words the password rule refuses.
PASSWORD = "Qingshan-Lvshui7"


def unavailable(service: str, reason) -> None:
    """Skip for lack of ``service``, or fail when CI said it is required."""
    if service in REQUIRED:
        pytest.fail(f"{service} is required by RECTIFY_TEST_REQUIRE but unavailable: {reason}")
    pytest.skip(f"{service} unavailable: {reason}")


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a real server would.

    Otherwise a request reuses the app context a test holds open, and with it ``g`` and the
    signed-in user cached there from an earlier request.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        # Werkzeug spools a large request body to a temporary file that nothing closes.
        body = response.request.environ.get("wsgi.input")
        if body is not None:
            body.close()
        return response


def make_app(database_url, instance, **config):
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RECTIFY_INSTANCE": str(instance),
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
    }
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = IsolatedClient
    return app


def _migrate(database_url, instance):
    app = make_app(database_url, instance)
    with app.app_context():
        upgrade_database()
        db.engine.dispose()


@contextmanager
def postgres_schema():
    """A new, empty PostgreSQL schema for this run; yields its URL and drops it after."""
    schema = f"rectify_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        unavailable("postgres", error)
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    with postgres_schema() as url:
        _migrate(url, tmp_path_factory.mktemp("pg-migrate"))
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "rectify.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        target = tmp_path / "rectify.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize) to change settings."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = make_app(database_url, tmp_path / "instance", **app_config)
    # The test client's address counts as seen: the one write a process makes to record the address
    # it is reached at (reminders/links.py) would otherwise fall into whichever request a test counts.
    app.extensions["rectify.observed_base_url"] = {"value": "http://localhost"}
    yield app
    app.extensions["rectify.ledger_worker"].shutdown(wait=True)  # no background ledger outlives its test
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # DELETE beats TRUNCATE on tables this small; ids go on counting, which no test minds.
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    if table.name != "data_revision":  # its one row is the migration's
                        connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """The database session inside an app context, for arranging and checking data.

    Requests run in their own sessions: call ``session.expire_all()`` before checking what
    a request changed.
    """
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture(scope="session")
def password_hash():
    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_department(session):
    def make(name="组织人事部", **fields):
        department = session.scalar(sa.select(Department).where(Department.name == name))
        if department is None:
            department = Department(name=name, **fields)
            session.add(department)
            session.commit()
        return department

    return make


@pytest.fixture
def make_user(session, password_hash, make_department):
    counter = iter(range(1, 10_000))

    def make(role=Role.OWNER, username=None, department="组织人事部", person=False, **fields):
        role = Role(role) if isinstance(role, str) else role
        user = User(
            username=username or f"{role.value}{next(counter)}",
            name=fields.pop("name", f"{role.label}{next(counter)}"),
            role=role,
            password_hash=password_hash,
            department=make_department(department) if department else None,
            **fields,
        )
        session.add(user)
        if person:
            session.add(Person(name=user.name, user=user, department=user.department))
        session.commit()
        return user

    return make


@pytest.fixture
def login(app, client):
    """Sign ``client`` (or another test client) in as an existing user, as a successful login would.

    It records the sign-in and writes Flask-Login's session keys instead of posting the form,
    which would spend a password hash per test; tests/test_auth.py covers the form itself.
    """

    def do(user, on=None):
        with app.app_context():
            token = start_session(db.session.merge(user), utcnow())
            db.session.commit()
        with (on or client).session_transaction() as cookie_session:
            cookie_session["_user_id"] = token
            cookie_session["_fresh"] = True
        return user

    return do


@pytest.fixture
def login_as(make_user, login):
    """Create a user with ``role`` and sign in as them."""

    def do(role, **fields):
        return login(make_user(role, **fields))

    return do


@pytest.fixture
def make_measure(session, make_department):
    """Create a measure (with its batch and problem unless given) and commit it."""

    def make(problem=None, owners=(), leaders=(), unit="组织人事部", **fields):
        if problem is None:
            batch = Batch(kind=SourceKind.XUNCHA, title="县委第三巡察组反馈意见整改", feedback_on=date(2023, 3, 1))
            problem = Problem(batch=batch, number="1", description="流动党员管理不规范。")
            session.add(problem)
        fields.setdefault("text", "完善流动党员工作台账。")
        measure = Measure(
            problem=problem,
            lead_unit=make_department(unit) if unit else None,
            owners=list(owners),
            leaders=list(leaders),
            **fields,
        )
        session.add(measure)
        session.commit()
        return measure

    return make


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory):
    """Convert workbook bytes to another format as LibreOffice saves it: ``convert(data, "xls")``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        unavailable("libreoffice", "soffice not found (apt-get install libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("lo")

    def convert(data: bytes, target: str) -> bytes:
        work = folder / uuid.uuid4().hex
        work.mkdir()
        (work / "source.xlsx").write_bytes(data)
        profile = f"-env:UserInstallation=file://{work}/profile"
        subprocess.run([soffice, profile, "--headless", "--convert-to", target, "--outdir", str(work / "out"),
                        str(work / "source.xlsx")], check=True, capture_output=True, timeout=120)
        return (work / "out" / f"source.{target}").read_bytes()

    return convert


def page_queries(app, client, url: str) -> tuple[int, str]:
    """How many SQL statements answering GET ``url`` takes, and the page (which must answer 200)."""
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return queries(), response.get_data(as_text=True)


@contextmanager
def count_queries(engine):
    """Count the SQL statements ``engine`` executes inside the block: ``with ... as n: ...; n()``."""
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield lambda: len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
