"""Import an LMS download (Moodle, Canvas, a folder per student) into ``submitted/``.

Reading the download is :mod:`~sicourse.grading.collect_sources`, recognising its
layout :mod:`~sicourse.grading.collect_layouts`, the size caps
:mod:`~sicourse.grading.collect_limits`; this module puts it together, one
student at a time, each written completely or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sicourse.course import Course
from sicourse.errors import SicourseError
from sicourse.grading import collect_layouts as layouts
from sicourse.grading import collect_sources as sources
from sicourse.grading import roster
from sicourse.grading.collect_layouts import Plan, TextEntry, Unmatched
from sicourse.grading.collect_limits import Budget, Limits, Rejected
from sicourse.grading.folder_swap import staged_folder
from sicourse.grading.intake import TIMESTAMP


class CollectError(SicourseError):
    """The assignment or the download cannot be used at all; the message says why."""


def identity(student: str, layout: str, full_name: str, lms_user_id: str) -> roster.Person:
    """What the download says about one student, for the roster (not Moodle's "Participant"
    of blind marking as a name)."""
    if roster.is_placeholder(full_name):
        full_name = ""
    person, _ = roster.make_person(student, full_name=full_name, lms=layout,
                                   lms_user_id=lms_user_id)
    return person


def _named(texts: list[TextEntry], owners: dict[str, str]) -> list[roster.Person]:
    """The students of the online text entries, when their id makes a folder name no
    other student has."""
    people = []
    for text in texts:
        safe = layouts.safe_student_id(text.student)
        if safe is not None and owners.setdefault(safe, text.student) == text.student:
            people.append(identity(safe, text.layout, text.full_name, text.student))
    return people


@dataclass
class Outcome:
    imported: list[Plan] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (student, why)
    unmatched: list[Unmatched] = field(default_factory=list)
    texts: list[TextEntry] = field(default_factory=list)  # online text: noted, not imported
    ignored: list[str] = field(default_factory=list)
    timestamp: str = ""  # the submission time written for every student imported
    recorded: roster.Recorded | None = None  # who went into the roster (not in a dry run)
    roster_error: str = ""  # why the roster or the gradebook's student records were not


def expected_notebooks(course: Course, assignment: str) -> list[str]:
    """The notebook names nbgrader will grade: from the release folder if generated, else
    from the source folder."""
    source, release = course.require_assignment(assignment), course.folder("release") / assignment
    for folder in (release, source):
        names = sorted(p.name for p in folder.glob("*.ipynb"))
        if names:
            return names
    known = ", ".join(course.assignments()) or "none"
    raise CollectError(f"no notebooks for assignment {assignment!r} in {source} (or {release}); "
                       f"check the name and --root (assignments: {known}).")


def write_submission(plan: Plan, target: Path, budget: Budget, timestamp: str,
                     dry_run: bool = False) -> None:
    """Write the planned files and ``timestamp.txt`` to ``target``, or raise :class:`Rejected`.

    Everything goes to a temporary folder beside ``target`` first, counted
    against the caps as it is read; only a complete folder replaces ``target``
    (an existing one is swapped out, and back in if that fails). With
    ``dry_run`` the files are read and checked the same way but not written.
    """
    budget.check_declared(list(plan.files.values()))
    if dry_run:
        for entry in plan.files.values():
            budget.copy(entry, None)
        return
    try:
        with staged_folder(target) as tmp:
            for rel, entry in plan.files.items():
                dest = tmp / rel
                if tmp.resolve() not in dest.resolve().parents:  # belt and braces
                    raise Rejected(f"{rel}: path outside the submission folder")
                try:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with open(dest, "xb") as out:
                        budget.copy(entry, out)
                except OSError as exc:
                    raise Rejected(f"{entry.path}: cannot be written as {rel} "
                                   f"({exc.strerror or exc})") from None
            with open(tmp / TIMESTAMP, "x", encoding="utf-8") as out:  # "x": never a student's
                out.write(timestamp + "\n")
    except BaseException:
        try:
            target.parent.rmdir()  # only if empty: a first import that failed
        except OSError:
            pass
        raise


def collect_submissions(
    course: Course, assignment: str, source: Path, layout: str = "auto", force: bool = False,
    limits: Limits | None = None, dry_run: bool = False, now: datetime | None = None,
) -> Outcome:
    """Import every student of ``source`` that can be; report the others with the reason.

    The submission time written to each ``timestamp.txt`` is ``now`` (the
    collect time): no layout's download carries a submission time that can be
    trusted, and a file a student supplied never becomes it.

    Every student the download names (imported or not, online text included) goes
    into the roster and the gradebook's student records, with the name and LMS id
    the download carries (:mod:`~sicourse.grading.roster`).
    """
    limits = limits or Limits()
    expected = expected_notebooks(course, assignment)
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    listing = sources.read(source)
    outcome = Outcome(ignored=listing.ignored,
                      timestamp=when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    outcome.unmatched += [Unmatched(r.name, f"refused: {r.reason}") for r in listing.refused]
    people: list[roster.Person] = []  # every student the download names
    try:
        subs, unmatched, outcome.texts = layouts.classify(listing.entries, layout)
        outcome.unmatched += unmatched
        owners: dict[str, str] = {}  # safe id -> raw id
        for raw, sub in sorted(subs.items()):
            safe = layouts.safe_student_id(raw)
            reason = ""
            if safe is None:
                reason = f"student id {raw!r} has no usable characters for a folder name"
            elif safe in owners:
                reason = (f"student id {raw!r} becomes folder {safe!r}, "
                          f"which student {owners[safe]!r} already has")
            if reason:
                outcome.unmatched += [Unmatched(str(e.path), reason) for e in sub.files.values()]
                continue
            assert safe is not None
            owners[safe] = raw
            people.append(identity(safe, sub.layout, sub.full_name, sub.lms_user_id))
            planned = layouts.plan(sub, safe, expected)
            if isinstance(planned, list):
                outcome.unmatched += planned
                continue
            outcome.unmatched += planned.problems
            target = course.folder("submitted") / safe / assignment
            if target.exists() and not force:
                why = f"{target} already exists (use --force to replace it)"
                outcome.skipped.append((safe, why))
                continue
            budget = Budget(limits)
            try:
                write_submission(planned, target, budget, outcome.timestamp, dry_run)
            except (Rejected, OSError) as exc:
                why = str(exc) if isinstance(exc, Rejected) else f"cannot write {target} ({exc})"
                kept = "; the earlier import is kept" if target.exists() else ""
                outcome.failed.append((safe, f"{why}; nothing of this student imported{kept}"))
                continue
            budget.commit()
            outcome.imported.append(planned)
        people += _named(outcome.texts, owners)
    finally:
        listing.close()
    if not dry_run and people:
        try:
            outcome.recorded = roster.record(course, people)
        except roster.RosterError as exc:
            outcome.roster_error = str(exc)
    return outcome


