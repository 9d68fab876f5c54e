"""Shared fixtures: the repository, and one strict build of the book per test session.

Also the test tiers (pyproject.toml lists the marks; `make test-fast` leaves out
browser, nbgrader, book and postgres): a test that uses the session's book build is
marked book here, and a guard fails any test that starts a kernel, nbgrader, `sicourse
grade`, a book build, a browser or a PostgreSQL server without the mark that says so
(see ``tier_of``).

And a throwaway PostgreSQL server (``postgres_server``, ``postgres_url``) for the tests
of a PostgreSQL gradebook.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]  # tests/test_tiers.py runs the guard below in a pytest of its own


# --- test tiers -----------------------------------------------------------------------------

def tier_of(args) -> tuple[str, str] | None:
    """(mark, what it starts) if this command line needs a marked test, else None."""
    if isinstance(args, (str, bytes, os.PathLike)):
        args = [args]
    elif not isinstance(args, (list, tuple)):  # never consume an iterator Popen will read
        return None
    argv = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a) for a in args]
    names = [a.rsplit("/", 1)[-1] for a in argv]
    sicourse = "sicourse" in names or "sicourse.cli" in argv
    if any("ipykernel_launcher" in a for a in argv):
        return "nbgrader", "a Jupyter kernel"
    if names[:1] == ["nbgrader"] or "nbgrader" in argv[1:3]:
        return "nbgrader", "nbgrader"
    if sicourse and "grade" in argv:
        return "nbgrader", "sicourse grade"
    if "jupyter-book" in names or any("jupyter_book.cli" in a for a in argv) or (
            sicourse and "build" in argv):
        return "book", "a book build"
    if any("playwright" in a for a in argv) or names[:1] in (["chromium"], ["chromium-browser"]):
        return "browser", "a browser"
    if names[:1] in (["initdb"], ["postgres"]) or (names[:1] == ["pg_ctl"] and "start" in argv):
        return "postgres", "a PostgreSQL server"
    return None


_running: list[pytest.Item] = []  # the test being set up, run or torn down
_unmarked_log = Path(tempfile.mkdtemp(prefix="sicourse-tiers-")) / "unmarked.txt"
_popen_init = subprocess.Popen.__init__


def _checked_popen_init(self, args, *rest, **kwargs):
    """Note a process started by a test without its tier's mark, from this process or one
    it forked (grading workers start kernels), before starting it as usual."""
    tier = tier_of(args) if _running else None
    if tier and _running[-1].get_closest_marker(tier[0]) is None:
        try:
            with open(_unmarked_log, "a", encoding="utf-8") as log:
                log.write(f"{_running[-1].nodeid}\t{tier[0]}\t{tier[1]}\n")
        except OSError:
            pass
    _popen_init(self, args, *rest, **kwargs)


def pytest_configure(config):
    subprocess.Popen.__init__ = _checked_popen_init


def pytest_unconfigure(config):
    subprocess.Popen.__init__ = _popen_init
    shutil.rmtree(_unmarked_log.parent, ignore_errors=True)


BUILD_FIXTURES = {"book_build", "share_execution_cache"}  # built_book, offline_book... use them


def pytest_collection_modifyitems(items):
    """Mark book every test that needs a build of the book (built_book and the like)."""
    for item in items:
        if BUILD_FIXTURES & set(item.fixturenames) and item.get_closest_marker("book") is None:
            item.add_marker(pytest.mark.book)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """At teardown, an error for each kind of process the test started without its mark."""
    report = yield
    if call.when == "teardown" and _unmarked_log.exists():
        lines = _unmarked_log.read_text(encoding="utf-8").splitlines()
        missing = sorted({tuple(line.split("\t")[1:]) for line in lines
                          if line.split("\t")[0] == item.nodeid})
        if missing:
            report.outcome = "failed"
            report.longrepr = "\n".join(
                f"{item.nodeid} starts {what} but is not marked {mark}: add "
                f"@pytest.mark.{mark} (or pytestmark) to it" for mark, what in missing)
    return report


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def share_execution_cache(tmp_path_factory):
    """Give back ``link(build_dir)``, which makes ``build_dir/.jupyter_cache`` (where myst-nb
    keeps executed notebooks, `execute_notebooks: cache`) one folder shared by every book
    build of the session.

    The cache keys a notebook on its code cells, so each lesson runs once per session: the
    first build that reads it runs it, every other build (the offline site, a copy of the
    course) takes its outputs. A notebook whose run failed is not cached.
    """
    cache = tmp_path_factory.mktemp("jupyter-cache")

    def link(build_dir: Path) -> None:
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / ".jupyter_cache").symlink_to(cache, target_is_directory=True)

    return link


@pytest.fixture(scope="session")
def book_build(tmp_path_factory, share_execution_cache) -> subprocess.CompletedProcess:
    """Build the whole book strictly into a fresh folder, as `sicourse build` does.

    A fresh folder (not the repository's own _build/) means no page or file
    left over from an earlier build can hide a problem or a leak. Only the
    execution cache is shared with the session's other builds.
    """
    out = tmp_path_factory.mktemp("book")
    share_execution_cache(out / "_build")
    result = subprocess.run(
        [sys.executable, "-m", "sicourse.cli", "build", "--root", str(REPO), "--output", str(out)],
        capture_output=True, text=True, cwd=REPO,
    )
    result.html = out / "_build" / "html"  # type: ignore[attr-defined]
    return result


@pytest.fixture(scope="session")
def built_book(book_build) -> Path:
    """The folder of the built HTML book; fails every dependent test if the build failed."""
    assert book_build.returncode == 0, book_build.stdout[-5000:] + book_build.stderr[-5000:]
    return book_build.html


def _tool(command: str, what: str, package: str) -> str:
    path = shutil.which(command)
    if path is None:  # a failure, never a skip: CI must prove these tests ran
        pytest.fail(f"{what} is missing: install the Debian package {package} "
                    "(.ci/run does).", pytrace=False)
    return path


@pytest.fixture(scope="session")
def node() -> str:
    """Node.js, which runs the widgets' JavaScript in the tests."""
    return _tool("node", "Node.js", "nodejs")


@pytest.fixture(scope="session")
def bwrap() -> str:
    """bubblewrap, the grading sandbox."""
    return _tool("bwrap", "bubblewrap", "bubblewrap")


@pytest.fixture(scope="session")
def empty_gradebook(tmp_path_factory) -> Path:
    """An empty nbgrader gradebook file, to copy into a course: creating one runs alembic
    (found through PATH, as with the environment active) and takes seconds."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with _venv_on_path():
        Gradebook(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def course_with_gradebook(tmp_path, repo, empty_gradebook, gradebook_backend, request) -> Path:
    """A course folder with assignment 1's source, the configuration and an empty
    gradebook: what collect, the roster and export need, without generating anything.
    Twice: with an SQLite gradebook, and with a PostgreSQL one (``gradebook_backend``)."""
    root = tmp_path / "course"
    shutil.copytree(repo / "exercises" / "01-concepts", root / "exercises" / "01-concepts")
    shutil.copy(repo / "nbgrader_config.py", root)
    shutil.copy(empty_gradebook, root / "gradebook.db")
    if gradebook_backend == "postgres":
        move_gradebook(root, request.getfixturevalue("postgres_gradebook_url"))
    return root


# --- a throwaway PostgreSQL server ------------------------------------------------------------

POSTGRES_USER = "sicourse"


def _postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs (Debian keeps them out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    initdb = found[-1] if found else (Path(shutil.which("initdb")) if shutil.which("initdb")
                                      else None)
    if initdb is None:  # a failure, never a skip: CI must prove these tests ran
        pytest.fail("PostgreSQL is missing (no initdb under /usr/lib/postgresql/*/bin/): "
                    "install the Debian package postgresql (.ci/run does).", pytrace=False)
    return initdb.parent


class PostgresServer:
    """A private PostgreSQL cluster listening only on a unix socket in ``socket_dir``; its
    one role, ``user``, has a password and may create databases."""

    def __init__(self, socket_dir: Path, user: str, password: str):
        self.socket_dir, self.user, self.password = socket_dir, user, password
        self.created = 0

    def url(self, database: str, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return (f"postgresql+psycopg://{self.user}:{secret}@/{database}"
                f"?host={self.socket_dir}")

    def create_database(self, template: str = "template1") -> str:
        """A new database, a copy of ``template`` (default: empty); its name."""
        import psycopg

        self.created += 1
        name = f"test_{self.created}"
        with psycopg.connect(host=str(self.socket_dir), dbname="postgres", user=self.user,
                             password=self.password, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL cluster of its own (initdb into a temporary folder, listening on a
    unix socket there only, password authentication) for the session; stop it at the end.

    PostgreSQL refuses to run as root: as root, the cluster belongs to (and the server runs
    as) the ``postgres`` user the Debian package creates.
    """
    import pwd

    binaries = _postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="sicourse-pg-"))  # short: a socket path is <108 bytes
    data, sockets, log = base / "data", base / "socket", base / "server.log"
    sockets.mkdir()
    password = "pw-" + secrets.token_hex(12)
    (base / "password").write_text(password + "\n", encoding="utf-8")
    run_as: dict = {}
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root, PostgreSQL needs the postgres user: install the "
                        "Debian package postgresql (.ci/run does).", pytrace=False)
        for path in (base, sockets, base / "password"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}

    def pg(*args: str) -> None:
        result = subprocess.run([str(binaries / args[0]), *args[1:]], cwd=base, **run_as,
                                capture_output=True, text=True)
        if result.returncode != 0:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"{args[0]} failed ({result.returncode}):\n{result.stdout}"
                        f"{result.stderr}{server_log}", pytrace=False)

    pg("initdb", "-D", str(data), "-U", POSTGRES_USER, f"--pwfile={base / 'password'}",
       "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")
    pg("pg_ctl", "start", "-w", "-D", str(data), "-l", str(log), "-o",
       f"-c listen_addresses='' -c unix_socket_directories='{sockets}' -c fsync=off")
    try:
        yield PostgresServer(sockets, POSTGRES_USER, password)
    finally:
        pg("pg_ctl", "stop", "-D", str(data), "-m", "immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a new empty database of the session's server (no nbgrader tables yet)."""
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture(scope="session")
def postgres_gradebook_template(postgres_server) -> str:
    """The name of a database holding an empty nbgrader gradebook, to copy (creating one
    runs alembic and takes seconds)."""
    from nbgrader.api import Gradebook

    name = postgres_server.create_database()
    with _venv_on_path():
        gradebook = Gradebook(postgres_server.url(name))
    gradebook.close()
    gradebook.engine.dispose()  # a template database must have no connection
    return name


@pytest.fixture
def postgres_gradebook_url(postgres_server, postgres_gradebook_template) -> str:
    """The URL of a new database with an empty nbgrader gradebook."""
    return postgres_server.url(postgres_server.create_database(postgres_gradebook_template))


@pytest.fixture(scope="session")
def to_postgres(postgres_server, postgres_gradebook_template):
    """``to_postgres(course)``: move the course's SQLite gradebook into a new PostgreSQL
    database (:func:`move_gradebook`), for fixtures of any scope; gives the URL."""
    def move(course: Path) -> str:
        database = postgres_server.create_database(postgres_gradebook_template)
        return move_gradebook(course, postgres_server.url(database))
    return move


def move_gradebook(course: Path, url: str) -> str:
    """Copy every row of ``course``'s SQLite gradebook (nbgrader's tables and sicourse's
    own) into the empty gradebook at ``url``, make ``url`` the course's db_url and delete the
    file, so nothing can still read it. Returns ``url``."""
    from nbgrader.api import Base
    from sqlalchemy import MetaData, create_engine

    path = course / "gradebook.db"
    source, target = create_engine(f"sqlite:///{path}"), create_engine(url)
    ours = MetaData()
    ours.reflect(source, only=lambda name, _: name == "sicourse_grading")
    try:
        tables = [*Base.metadata.sorted_tables, *ours.sorted_tables]
        with source.connect() as read, target.begin() as write:
            for table in reversed(tables):  # the rows nbgrader put in the empty one
                table.create(write, checkfirst=True)
                write.execute(table.delete())
            for table in tables:
                rows = [dict(row._mapping) for row in read.execute(table.select())]
                if rows:
                    write.execute(table.insert(), rows)
    finally:
        source.dispose()
        target.dispose()
    path.unlink()
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f'\nc.CourseDirectory.db_url = "{url}"\n')
    return url


@contextlib.contextmanager
def _venv_on_path() -> Iterator[None]:
    """PATH with this Python's scripts first: nbgrader runs alembic from PATH."""
    saved = os.environ["PATH"]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{saved}"
    try:
        yield
    finally:
        os.environ["PATH"] = saved


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def gradebook_backend(request) -> str:
    """Run the test with an SQLite gradebook, then with a PostgreSQL one."""
    return request.param


def _gradebook_tables(url: str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.fixture
def remove_gradebook():
    """``remove(course)``: take the course's gradebook away, as before nbgrader
    generate_assignment creates it (SQLite: delete the file; a server: empty its database),
    and ``remove.exists(course)``: whether a gradebook is there again."""
    from sqlalchemy import create_engine, text

    from sicourse.course import Course

    def remove(course: Path) -> None:
        found = Course.at(course)
        if found.gradebook_path is not None:
            found.gradebook_path.unlink()
            return
        engine = create_engine(found.gradebook_url)
        try:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()

    def exists(course: Path) -> bool:
        found = Course.at(course)
        if found.gradebook_path is not None:
            return found.gradebook_path.exists()
        return bool(_gradebook_tables(found.gradebook_url))

    remove.exists = exists
    return remove


def pytest_terminal_summary(terminalreporter):
    """How much of each edition is translated (locales/; the rest shows in English)."""
    from sicourse.book.translations import TranslationError, shares

    try:
        found = shares(REPO)
    except TranslationError as exc:
        terminalreporter.write_line(f"translations: {exc}")
        return
    from sicourse.book.translations import Languages

    editions = Languages.read(REPO).editions
    terminalreporter.section("translations")
    for share in found:
        what = "the edition's text" if share.language in editions else (
            "its catalogues so far (not an edition yet)")
        terminalreporter.write_line(
            f"{share.language}: {share.percent:.1f} % of {what} translated "
            f"({share.translated} of {share.total} messages)" if share.total else
            f"{share.language}: no catalogues yet")
