"""Is the course's gradebook there? One check for every command that reads or writes it.

An SQLite gradebook is a file: it is there or not (nothing is created by looking). A
database server (``db_url = "postgresql+psycopg://user:password@host/db"`` in
``nbgrader_config.py``) is connected to once, with a short timeout: a server that cannot
be reached, a wrong password or a missing database is one line naming the configuration
file and the URL with its password masked. The password is never shown: not in the
message, and not in a chained exception (raised ``from None``).
"""

from __future__ import annotations

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sicourse.course import CONFIG, Course, CourseError, mask_url

CONNECT_TIMEOUT = 5  # seconds
NBGRADER_TABLE = "assignment"  # nbgrader creates it with the gradebook


class GradebookError(CourseError):
    """The gradebook cannot be used; the message names the configuration and the URL."""


def gradebook_exists(course: Course) -> bool:
    """Whether the course's gradebook has been created (nbgrader's tables are there).

    SQLite: whether the file exists. A server: connects once; GradebookError if that fails.
    """
    path = course.gradebook_path
    if path is not None:
        return path.is_file()
    url = course.gradebook_url
    try:
        engine = _engine(url)
    except (ArgumentError, ValueError):  # its message would quote the URL, password and all
        raise GradebookError(f"db_url in {course.root / CONFIG} ({course.gradebook_shown}) "
                             "is not a database URL (dialect+driver://user:password@host/"
                             "database)") from None
    except ImportError as exc:  # no driver for it (postgresql:// means psycopg2)
        raise GradebookError(f"db_url in {course.root / CONFIG} ({course.gradebook_shown}) "
                             f"needs a database driver that is not installed ({exc}); for "
                             "PostgreSQL write postgresql+psycopg://, the driver sicourse "
                             "installs") from None
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table(NBGRADER_TABLE)
    except SQLAlchemyError as exc:
        raise GradebookError(_unreachable(course, exc)) from None
    finally:
        engine.dispose()


def require_gradebook(course: Course, command: str, assignment: str = "<assignment>") -> str:
    """The gradebook URL, once the gradebook is known to exist; else GradebookError saying
    what ``command`` needs."""
    course.require_config()
    if not gradebook_exists(course):
        where = course.gradebook_path or course.gradebook_shown
        raise GradebookError(f"{command}: no gradebook at {where} (db_url in "
                             f"{course.root / CONFIG}): run `nbgrader generate_assignment "
                             f"{assignment}` in {course.root} first, which creates it.")
    return course.gradebook_url


def _engine(url: str):
    backend = make_url(url).get_backend_name()
    args = {"connect_timeout": CONNECT_TIMEOUT} if backend in ("postgresql", "mysql") else {}
    return create_engine(url, connect_args=args, future=True)


def _unreachable(course: Course, exc: SQLAlchemyError) -> str:
    reason = _scrub(getattr(exc, "orig", None) or exc, course.gradebook_url)
    if "password authentication failed" in reason or "authentication failed" in reason:
        what = "the user name or password is not accepted"
    elif "does not exist" in reason and "database" in reason:
        what = "the database does not exist (create it, e.g. with createdb)"
    else:
        what = "the database server cannot be reached"
    return (f"cannot open the gradebook {course.gradebook_shown} (db_url in "
            f"{course.root / CONFIG}): {what} ({reason})")


def _scrub(exc: BaseException, url: str) -> str:
    """The first line of ``exc``'s message, with the URL's password (if any) masked."""
    lines = str(exc).strip().splitlines()
    text = mask_url(lines[0].strip()) if lines else type(exc).__name__
    password = make_url(url).password
    return text.replace(str(password), "***") if password else text
