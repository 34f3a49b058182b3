"""Shared fixtures: reference data loaded once, and a fixed cast of users.

The network: agency ACE (Burkina Faso, Centre region) with a supervisor, two case workers
in different teams and a relay cell covering the Centre region; agency BTA (Burkina Faso)
with a service provider; agency TGO (Togo) whose case worker is the outsider.
"""

from __future__ import annotations

import fcntl

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from yiri.accounts.models import User, UserGroup
from yiri.cases.services import create_record
from yiri.formconfig.schema import clear_cache
from yiri.network.models import Agency, Location, RelayCell
from yiri.network.reference import seed_reference_data

PASSWORD = "motdepasse-tres-long-42"


def ensure_reference_data() -> None:
    seed_reference_data()
    clear_cache()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_reference_data()


def _transactional(item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return ("transactional_db" in names or "live_server" in names
            or bool(marker and marker.kwargs.get("transaction")))


def pytest_configure(config):
    """No worker process started by a queued job: it could not see the test database.
    A test runs the queued jobs itself (``tests/jobs``: ``manage.py db_worker --batch``)."""
    from django.conf import settings

    settings.YIRI_JOBS_START_WORKER = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test empties every table when it ends (its fixtures' teardown):
    the places, forms and roles the other tests of this process rely on are put back once
    that is done, whatever test comes next on this worker. Not after the session's last
    test: its teardown has already destroyed the test database, and the connection is back
    on the real one."""
    yield
    if _transactional(item) and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            ensure_reference_data()


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory, worker_id):
    """Static files collected once per run, as run.sh does, so the tests run the production
    storage: pages name the hashed files from the manifest (a template naming a missing
    file fails here, not in the field) and WhiteNoise serves the gzip copies. Parallel
    workers share one copy, made by the first under a lock."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    root = shared / "static"
    with open(shared / "static.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with override_settings(STATIC_ROOT=root):
            if not (root / "staticfiles.json").exists():
                call_command("collectstatic", interactive=False, verbosity=0)
            fcntl.flock(lock, fcntl.LOCK_UN)
            yield root


@pytest.fixture(scope="session")
def live_server(collected_static, request):
    """pytest-django's live server, except that static files go through the application
    (WhiteNoise, compressed, from the collected copies) as in production: its own static
    handler looks files up unhashed in the apps, where the manifest's names do not exist."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    server.thread.static_handler = lambda app: app
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is slow on purpose; tests that are about hashing restore it themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _attachments_in_a_temporary_folder(settings, tmp_path_factory):
    # Attached files never land in the developer's data folder.
    settings.YIRI_ATTACHMENTS_DIR = tmp_path_factory.getbasetemp() / "attachments"


@pytest.fixture(autouse=True)
def _search_index_key_in_a_temporary_folder(settings, tmp_path_factory):
    # The blind search index key is made (and rotated by some tests) outside the
    # developer's data folder.
    settings.YIRI_INDEX_KEY_FILE = tmp_path_factory.getbasetemp() / "search_index_key"


@pytest.fixture(autouse=True)
def _fresh_schema_cache():
    clear_cache()
    yield
    clear_cache()


class Cast:
    """The users every test can use, by role."""

    def __init__(self) -> None:
        ensure_reference_data()
        from yiri.accounts.models import Role

        roles = {r.code: r for r in Role.objects.all()}
        bf, tg = Location.objects.get(code="BF"), Location.objects.get(code="TG")
        self.centre = Location.objects.get(code="BF-03")  # Centre (Ouagadougou)
        self.ace = Agency.objects.create(code="ACE", name="Action Enfance", acronym="ACE", country=bf)
        self.ace.regions.add(self.centre)
        self.bta = Agency.objects.create(code="BTA", name="Bureau Traite Alerte", acronym="BTA", country=bf)
        self.tgo = Agency.objects.create(code="TGO", name="Togo Enfants", acronym="TGO", country=tg)
        self.cell = RelayCell.objects.create(code="CRR-CEN", name="Cellule de relais du Centre")
        self.cell.regions.add(self.centre)
        self.cell.members.add(self.ace)
        self.team_a = UserGroup.objects.create(name="Équipe A", agency=self.ace)
        self.team_b = UserGroup.objects.create(name="Équipe B", agency=self.ace)

        def user(username, role, agency=None, **extra):
            u = User.objects.create_user(
                username, password=PASSWORD, role=roles[role] if role else None,
                agency=agency, first_name=username.capitalize(), **extra,
            )
            return u

        self.admin = user("admin", "administrator", self.ace)
        self.manager = user("manager", "manager", self.ace)
        self.worker = user("worker", "case_worker", self.ace)
        self.colleague = user("colleague", "case_worker", self.ace)
        self.provider = user("provider", "service_provider", self.bta)
        self.relay = user("relay", "relay_data_manager", None, relay_cell=self.cell)
        self.coordinator = user("coordinator", "national_coordinator", None)
        self.partner = user("partner", "partner_viewer", None)
        self.outsider = user("outsider", "case_worker", self.tgo)
        self.manager.user_groups.add(self.team_a)
        self.worker.user_groups.add(self.team_a)
        self.colleague.user_groups.add(self.team_b)

    @property
    def everyone(self) -> dict[str, User]:
        return {name: getattr(self, name) for name in (
            "admin", "manager", "worker", "colleague", "provider", "relay", "coordinator",
            "partner", "outsider")}


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


def child_answers(**overrides) -> dict:
    answers = {
        "name_first": "Awa", "name_last": "Ouédraogo", "sex": "female", "age": 12,
        "registration_date": "2026-01-15", "location_current": "BF-KAD",
    }
    answers.update(overrides)
    return answers


def make_case(user, **overrides):
    return create_record(user, "case", child_answers(**overrides))


def referred_case(cast, *, accept: bool = True, sections=None, **overrides):
    """A case of the worker's (consent recorded) with one service row, referred to the
    service provider of BTA for that service; accepted unless ``accept`` is false.
    Returns ``(case, referral, service row id)``."""
    from yiri.cases.identity import read_answers
    from yiri.formconfig.schema import get_schema
    from yiri.workflow.services import refer, respond_referral

    answers = {"consent_for_services": True, "disclosure_other_orgs": True,
               "services": [{"service_type": "health"}], **overrides}
    case = make_case(cast.worker, **answers)
    row = read_answers(case, get_schema("case"))["services"][0]["_id"]
    referral = refer(cast.worker, case, to_agency=cast.bta, to_user=cast.provider,
                     service_row_id=row, sections=sections)
    if accept:
        respond_referral(cast.provider, referral, accept=True)
    case.refresh_from_db()
    return case, referral, row


@pytest.fixture
def node_keys(settings, tmp_path):
    """This (test) node's keys, in a data folder of the test's own: ``identity.load()``
    returns them. Yields the ``Identity``."""
    from yiri.sync import identity

    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir(mode=0o700)
    identity.load.cache_clear()
    yield identity.create()
    identity.load.cache_clear()


def new_identity():
    """Keys of another node (not written anywhere)."""
    from nacl.public import PrivateKey
    from nacl.signing import SigningKey

    from yiri.sync.identity import Identity

    return Identity(SigningKey.generate(), PrivateKey.generate())


# Two-factor sign-in (yiri/accounts/two_factor.py). The tests that are about something
# else sign in as before: ``client.login``/``force_login`` make a session that passed the
# second factor with a real enrolled device of the user (a fresh full sign-in, which also
# counts as a recent confirmation of identity, as on the site). A test marked
# ``password_only`` gets Django's plain login: a password-only session.


def enrolled_device(user):
    """The user's confirmed TOTP device, enrolled now if none (as the setup page does)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def totp_code(device, *, fresh: bool = True) -> str:
    """The code the user's phone shows: one of the time steps the server accepts now (its
    tolerance is one step either side) not yet used. A test signing the same user in more
    than three times within 30 seconds has used them all: the phone's clock is then taken
    as a step further on by forgetting the last step used (``last_t``) — the only liberty
    taken with the device's state."""
    import time

    from django_otp.oath import hotp

    device.refresh_from_db()
    centre = (int(time.time()) - device.t0) // device.step + device.drift
    usable = [t for t in range(centre - device.tolerance, centre + device.tolerance + 1)
              if t > device.last_t]
    if not usable and fresh:
        type(device).objects.filter(pk=device.pk).update(last_t=-1)
        usable = [centre]
    # The current step first, then the next one: a step boundary crossed while the request
    # runs (a password hash on a loaded machine) then leaves the code inside the tolerance,
    # where the previous step would fall out of it.
    preferred = sorted(usable, key=lambda t: (t < centre, abs(t - centre)))
    t = preferred[0] if preferred else centre
    return str(hotp(device.bin_key, t, digits=device.digits)).zfill(device.digits)


def mark_verified(client, user) -> None:
    """Make ``client``'s session (signed in as ``user``) one that passed its second factor
    and confirmed its identity just now."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY

    from yiri.accounts import reauth, two_factor

    if not two_factor.required_for(user):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
    session[reauth.SESSION_KEY] = int(time.time())
    session.save()


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    """Through the pages, as a person: password, then the phone's code if the account
    needs one (enrolled first if needed). Returns the last response."""
    r = client.post("/login/", {"username": username, "password": password, **extra})
    if r.status_code != 302 or not r["Location"].startswith("/2fa/"):
        return r
    user = User.objects.get(username=username)
    device = enrolled_device(user)
    return client.post("/2fa/", {"code": totp_code(device)})


@pytest.fixture(autouse=True)
def _verified_test_logins(request, monkeypatch):
    if request.node.get_closest_marker("password_only"):
        return
    from django.test.client import ClientMixin

    plain = ClientMixin._login

    def _login(self, user, backend=None):
        plain(self, user, backend)
        mark_verified(self, user)

    monkeypatch.setattr(ClientMixin, "_login", _login)
