"""What a grading worker needs to grade one assignment, made once per batch by the
coordinator and shipped to every worker as bytes.

A :class:`Kit` holds

* a private SQLite gradebook with the assignment's structure only: its notebooks,
  their cells and the tests' sources (what nbgrader's autograde and the isolated
  test evaluator read), no student, no grade, no other assignment, whatever the
  course's gradebook is (an SQLite file or a PostgreSQL server);
* the assignment's other files, as nbgrader copies them into each graded folder
  (minus the course's ignore patterns and the mutants);
* the course's nbgrader configuration.

A worker writes it into a private scratch folder it deletes when it stops, so no
worker needs the course folder, the answer key or a shared file system.
"""

from __future__ import annotations

import fnmatch
import hashlib
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Base, Gradebook
from sqlalchemy import create_engine, text
from traitlets.config import Config

from sicourse.course import Course
from sicourse.grading import intake, mutants
from sicourse.grading.folder_bytes import Files


@dataclass(frozen=True)
class Kit:
    assignment: str
    course_id: str
    gradebook: bytes  # an SQLite file
    files: Files = field(default_factory=dict)
    config: Config = field(default_factory=Config)
    key: str = ""  # tells kits apart: a worker keeps one warmed up per key


def _empty_gradebook(source: Gradebook, target: Path) -> str:
    """An SQLite gradebook at ``target`` with nbgrader's tables and the schema version of
    ``source`` (what nbgrader itself would do, without running ``alembic``)."""
    target.unlink(missing_ok=True)
    url = f"sqlite:///{target}"
    version = source.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine = create_engine(url)
    try:
        Base.metadata.create_all(bind=engine)
        with engine.begin() as db:
            db.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            db.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                       {"v": version})
    finally:
        engine.dispose()
    return url


def copy_structure(url: str, course_id: str, assignment: str, target: Path) -> None:
    """Write into the SQLite file ``target`` the structure of ``assignment`` read from the
    gradebook at ``url`` (any database nbgrader supports)."""
    with Gradebook(url, course_id) as src, \
            Gradebook(_empty_gradebook(src, target), course_id) as dst:
        found = src.find_assignment(assignment)
        dst.update_or_create_assignment(assignment, duedate=found.duedate,
                                        course_id=found.course_id)
        for nb in found.notebooks:
            dst.add_notebook(nb.name, assignment)
            for cell in nb.grade_cells:
                dst.add_grade_cell(cell.name, nb.name, assignment, max_score=cell.max_score,
                                   cell_type=cell.cell_type)
            for cell in nb.solution_cells:
                dst.add_solution_cell(cell.name, nb.name, assignment)
            for cell in nb.task_cells:
                dst.add_task_cell(cell.name, nb.name, assignment, max_score=cell.max_score,
                                  cell_type=cell.cell_type)
            for cell in nb.source_cells:
                dst.add_source_cell(cell.name, nb.name, assignment, cell_type=cell.cell_type,
                                    locked=cell.locked, source=cell.source,
                                    checksum=cell.checksum)


def assignment_files(course: Course, assignment: str) -> Files:
    """The assignment's files that are not notebooks, as nbgrader copies them when grading."""
    source = course.assignment_source(assignment)
    ignore = course.ignore + [mutants.FILE]
    found: Files = {}
    for rel in intake.list_files(source)[0] if source.is_dir() else []:
        if rel.endswith(".ipynb") or any(fnmatch.fnmatch(part, pattern)
                                         for part in rel.split("/") for pattern in ignore):
            continue
        found[rel] = (source / rel).read_bytes()
    return found


def make_kit(course: Course, assignment: str) -> Kit:
    course_id = str(course.setting("course_id", "") or "")  # nbgrader's default
    with tempfile.TemporaryDirectory(prefix="sicourse-kit-") as tmp:
        path = Path(tmp) / "gradebook.db"
        copy_structure(course.gradebook_url, course_id, assignment, path)
        gradebook = path.read_bytes()
    files = assignment_files(course, assignment)
    config = Config(course.config)
    digest = hashlib.sha256(assignment.encode() + b"\0" + gradebook + pickle.dumps(config))
    for rel, content in sorted(files.items()):
        digest.update(rel.encode() + b"\0" + content + b"\0")
    return Kit(assignment, course_id, gradebook, files, config, digest.hexdigest()[:16])
