"""`sicourse collect`: LMS downloads into nbgrader's submitted/ folders, safely."""

from __future__ import annotations

import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook

from sicourse.commands.collect import collect
from sicourse.grading.collect_layouts import safe_student_id

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
MOODLE = Path(__file__).parents[1] / "files" / "lms" / "moodle"
CANVAS = Path(__file__).parents[1] / "files" / "lms" / "canvas"


def notebook(answer: str = 'answer_q1 = "B"') -> bytes:
    nb = new_notebook(cells=[new_code_cell(answer)])
    return nbformat.writes(nb).encode()


@pytest.fixture
def course(tmp_path, repo) -> Path:
    root = tmp_path / "course"
    shutil.copytree(repo / "exercises" / ASSIGNMENT, root / "exercises" / ASSIGNMENT)
    shutil.copy(repo / "nbgrader_config.py", root)
    return root


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def run(course: Path, source: Path, *args: str):
    return CliRunner().invoke(
        collect, [ASSIGNMENT, str(source), "--root", str(course), *args], catch_exceptions=False
    )


def submitted(course: Path) -> dict[str, list[str]]:
    """Each student's files but the timestamp.txt collect writes (checked to be there)."""
    base = course / "submitted"
    found = {
        s.name: sorted(str(p.relative_to(s / ASSIGNMENT)) for p in (s / ASSIGNMENT).rglob("*")
                       if p.is_file())
        for s in sorted(base.iterdir())
    } if base.exists() else {}
    for files in found.values():
        files.remove("timestamp.txt")
    return found


def test_moodle_folders_are_imported_and_online_text_only_noted(course):
    """Does a Moodle download (a folder per student) land as submitted/<id>/<assignment>/,
    with Moodle's routine online text noted (not an error) and exit status 0?"""
    result = run(course, MOODLE)
    assert submitted(course) == {"1001": [NOTEBOOK, "data.csv"], "1002": [NOTEBOOK]}
    nb = nbformat.read(course / "submitted" / "1001" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert nb.cells[0].source == 'answer_q1 = "B"'
    # Online text is not a file submission: a note on stdout, for the one who also sent a
    # file and for the one who only typed text, and nothing unmatched.
    assert ("note: Ali Ören_1002_assignsubmission_onlinetext_/onlinetext.html: Moodle online "
            "text of student 1002, not a file submission: not imported (read it in Moodle)"
            ) in result.stdout
    assert "Bo Lee_1003_assignsubmission_onlinetext_/onlinetext.html: Moodle online text" in (
        result.stdout)
    assert "unmatched" not in result.stderr
    assert "imported 2, skipped 0, unmatched 0, failed 0, online text 2 (noted)" in result.stdout
    assert result.exit_code == 0, result.output


def test_other_moodle_plugins_are_still_unmatched(course, tmp_path):
    """Is a submission plugin collect does not know (not file, not online text) reported?"""
    source = make_zip(tmp_path / "moodle.zip", {
        "Jane Doe_1001_assignsubmission_file_/a.ipynb": notebook(),
        "Jane Doe_1001_assignsubmission_pdfannotate_/page.pdf": b"%PDF",
    })
    result = run(course, source)
    assert "Moodle pdfannotate submission: only file submissions are imported" in result.stderr
    assert result.exit_code == 1


def test_moodle_zip_in_flat_form(course, tmp_path):
    """Does the flat Moodle form (<Name>_<id>_assignsubmission_file_<file>) work from a zip?"""
    source = make_zip(tmp_path / "moodle.zip", {
        "Jane Doe_1001_assignsubmission_file_answers.ipynb": notebook(),
        "Jane Doe_1001_assignsubmission_file_notes.txt": b"notes",
    })
    result = run(course, source)
    assert result.exit_code == 0, result.output
    assert submitted(course) == {"1001": [NOTEBOOK, "notes.txt"]}


def test_canvas_files_are_grouped_by_user_id_late_and_text_entries_handled(course):
    """Are Canvas's flat files (<name>_<userid>_<fileid>_<file>) grouped by the Canvas user
    id, so two students of the same name stay apart, with LATE, -N and text entries handled?"""
    result = run(course, CANVAS)
    assert result.exit_code == 0, result.output
    assert submitted(course) == {
        "1234": [NOTEBOOK, "data.csv"],
        "1240": [NOTEBOOK, "scratch.ipynb"],
        "1301": [NOTEBOOK],
        "1302": [NOTEBOOK],
        "1310": [NOTEBOOK],  # a name with "_" in it (Canvas keeps it)
    }
    answers = {student: nbformat.read(course / "submitted" / student / ASSIGNMENT / NOTEBOOK,
                                      as_version=4).cells[0].source
               for student in ("1240", "1301", "1302")}
    assert answers == {"1240": 'answer_q1 = "A"',  # the resubmitted one, not the scratch
                       "1301": 'answer_q1 = "B"', "1302": 'answer_q1 = "C"'}
    assert "marked late by the LMS: 1240" in result.stdout
    assert "extra notebook scratch.ipynb copied; it is not graded" in result.stdout
    assert ("note: leebo_1250_text.html: Canvas text entry of student 1250, not a file "
            "submission: not imported (read it in Canvas)") in result.stdout
    assert "unmatched 0, failed 0, online text 1 (noted)" in result.stdout


def test_canvas_zip_with_a_website_url_entry(course, tmp_path):
    """Is a Canvas zip read the same way, a website URL entry noted?"""
    source = make_zip(tmp_path / "canvas.zip", {
        "doejane_LATE_1234_5678_homework-2.ipynb": notebook(),
        "leebo_1250_link.html": b"<a href='https://example.org'>x</a>",
    })
    result = run(course, source)
    assert result.exit_code == 0, result.output
    assert submitted(course) == {"1234": [NOTEBOOK]}
    assert "leebo_1250_link.html: Canvas website URL of student 1250" in result.stdout


def test_plain_layout_and_files_that_name_no_student(course, tmp_path):
    """Are <id>/<file> and <id>.ipynb imported, and a stray top-level file reported with why?"""
    source = tmp_path / "download"
    (source / "alice" / "data").mkdir(parents=True)
    (source / "alice" / "my work.ipynb").write_bytes(notebook())
    (source / "alice" / "data" / "table.csv").write_text("a\n")
    (source / "bob.ipynb").write_bytes(notebook('answer_q1 = "C"'))
    (source / "README.txt").write_text("from the LMS")
    (source / ".DS_Store").write_bytes(b"\0")
    result = run(course, source)
    assert submitted(course) == {"alice": [NOTEBOOK, "data/table.csv"], "bob": [NOTEBOOK]}
    assert "unmatched README.txt: a file at the top level that names no student" in result.stderr
    assert "ignored 1 operating-system file" in result.stdout
    assert "imported 2, skipped 0, unmatched 1" in result.stdout
    assert result.exit_code == 1


def test_a_wrapping_folder_is_looked_through(course, tmp_path):
    """Is a zip of one folder holding the student folders read as if unwrapped?"""
    source = make_zip(tmp_path / "wrapped.zip", {
        "download/alice/answers.ipynb": notebook(),
        "download/bob/answers.ipynb": notebook(),
        "__MACOSX/download/alice/._answers.ipynb": b"\0",
    })
    result = run(course, source)
    assert result.exit_code == 0, result.output
    assert submitted(course) == {"alice": [NOTEBOOK], "bob": [NOTEBOOK]}


def test_an_existing_submission_is_skipped_and_replaced_only_with_force(course, tmp_path):
    """Does collect refuse to overwrite silently, and replace only with --force?"""
    source = make_zip(tmp_path / "s.zip", {"alice/a.ipynb": notebook('answer_q1 = "D"')})
    existing = course / "submitted" / "alice" / ASSIGNMENT
    existing.mkdir(parents=True)
    (existing / NOTEBOOK).write_bytes(notebook('answer_q1 = "B"'))
    (existing / "timestamp.txt").write_text("2024-01-01 10:00:00")
    (existing / "old-notes.txt").write_text("from the first import")

    result = run(course, source)
    assert result.exit_code == 0
    assert "skipped alice:" in result.stderr and "--force" in result.stderr
    assert "imported 0, skipped 1, unmatched 0" in result.stdout
    assert nbformat.read(existing / NOTEBOOK, as_version=4).cells[0].source == 'answer_q1 = "B"'

    result = run(course, source, "--force")
    assert result.exit_code == 0
    assert nbformat.read(existing / NOTEBOOK, as_version=4).cells[0].source == 'answer_q1 = "D"'
    assert not (existing / "old-notes.txt").exists()  # replaced, not merged
    assert not (existing / "timestamp.txt").read_text().startswith("2024-01-01")
    assert [p.name for p in existing.parent.iterdir()] == [ASSIGNMENT]  # no temporary left


def test_unsafe_zip_entries_are_refused_one_by_one(course, tmp_path):
    """Are ../ entries, absolute paths and symlinks refused while the good entries import?"""
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("alice/a.ipynb", notebook())
        zf.writestr("../escaped.ipynb", notebook())
        zf.writestr("bob/../../escaped2.ipynb", notebook())
        zf.writestr("/tmp/absolute.ipynb", notebook())
        zf.writestr("C:\\Windows\\evil.ipynb", notebook())
        link = zipfile.ZipInfo("carol/link.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    result = run(course, archive)
    assert submitted(course) == {"alice": [NOTEBOOK]}
    assert "unmatched ../escaped.ipynb: refused: path leads outside the folder" in result.stderr
    assert "unmatched bob/../../escaped2.ipynb: refused: path leads outside" in result.stderr
    assert "unmatched /tmp/absolute.ipynb: refused: absolute path" in result.stderr
    assert "refused: absolute path" in result.stderr.split("C:\\Windows")[1]
    assert "unmatched carol/link.ipynb: refused: symbolic link" in result.stderr
    assert "unmatched 5" in result.stdout and result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course", "evil.zip"]


def test_symlinks_in_a_folder_are_not_followed(course, tmp_path):
    """Does a symbolic link in a download folder stay behind (it could point at the key)?"""
    source = tmp_path / "download"
    (source / "alice").mkdir(parents=True)
    (source / "alice" / "a.ipynb").write_bytes(notebook())
    (source / "alice" / "key.ipynb").symlink_to(course / "exercises" / ASSIGNMENT / NOTEBOOK)
    result = run(course, source)
    assert submitted(course) == {"alice": [NOTEBOOK]}
    assert "alice/key.ipynb: refused: symbolic link, not followed" in result.stderr


def test_student_ids_become_safe_folder_names(course, tmp_path):
    """Are odd student ids made safe, and two ids that become the same folder both kept apart?"""
    assert safe_student_id("Jöhn Dœ") == "John_Doe"
    assert safe_student_id("..hidden") == "hidden"
    assert safe_student_id("a;rm -rf ~") == "a_rm_-rf"
    assert safe_student_id("...") is None
    source = make_zip(tmp_path / "ids.zip", {
        "Jöhn Dœ/a.ipynb": notebook(),
        "John_Doe/a.ipynb": notebook(),
        "$$$.ipynb": notebook(),
    })
    result = run(course, source)
    assert submitted(course) == {"John_Doe": [NOTEBOOK]}
    assert "id 'John_Doe'" not in result.stdout
    assert "'Jöhn Dœ' becomes folder 'John_Doe', which student 'John_Doe' already has" in (
        result.stderr
    )
    assert "student id '$$$' has no usable characters" in result.stderr
    assert "imported 1" in result.stdout and "unmatched 2" in result.stdout


def test_a_submission_with_no_clear_notebook_is_not_imported(course, tmp_path):
    """With two notebooks and neither named as expected, is the student reported, not guessed?"""
    source = make_zip(tmp_path / "two.zip", {
        "alice/draft.ipynb": notebook(),
        "alice/final.ipynb": notebook(),
        "bob/essay.txt": b"no notebook",
    })
    result = run(course, source)
    assert submitted(course) == {}
    assert "2 notebooks and none named concepts-and-definitions.ipynb" in result.stderr
    assert "bob/essay.txt: student bob: no notebook in this submission" in result.stderr
    assert "imported 0, skipped 0, unmatched 3" in result.stdout


def test_the_expected_name_comes_from_release_when_generated(course, tmp_path):
    """Does a release/ folder, when there is one, name the notebook to grade?"""
    release = course / "release" / ASSIGNMENT
    release.mkdir(parents=True)
    (release / "renamed.ipynb").write_bytes(notebook())
    run(course, make_zip(tmp_path / "s.zip", {"alice/a.ipynb": notebook()}))
    assert submitted(course) == {"alice": ["renamed.ipynb"]}


def test_dry_run_writes_nothing(course, tmp_path):
    """Does --dry-run report what would be imported without writing?"""
    result = run(course, make_zip(tmp_path / "s.zip", {"alice/a.ipynb": notebook()}), "--dry-run")
    assert "would import 1" in result.stdout
    assert not (course / "submitted").exists()


def test_oversized_files_are_refused(course, tmp_path):
    """Is a student with a file over --max-file-size reported and left out, the others not?"""
    source = make_zip(tmp_path / "big.zip", {
        "alice/a.ipynb": notebook(), "alice/big.bin": b"\0" * (1024 * 1024 + 1),
        "bob/a.ipynb": notebook(),
    })
    result = run(course, source, "--max-file-size", "1")
    assert submitted(course) == {"bob": [NOTEBOOK]}
    assert "failed alice: alice/big.bin: more than 1 MB uncompressed, the cap per file" in (
        result.stderr
    )
    assert result.exit_code == 1


def test_bad_input_names_the_file(course, tmp_path):
    """Do a corrupt zip and an unknown assignment give clear errors and a non-zero exit?"""
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK not really a zip")
    result = run(course, bad)
    assert result.exit_code == 1
    assert "broken.zip: not a readable zip file" in result.stderr
    result = CliRunner().invoke(collect, ["no-such", str(bad), "--root", str(course)])
    assert result.exit_code == 1
    assert "no assignment no-such in" in result.stderr


def test_every_option_has_help():
    """Does every option of collect carry help text, and the help name the layouts?"""
    for param in collect.params:
        if param.param_type_name == "option":
            assert param.help, param.name
    text = CliRunner().invoke(collect, ["--help"]).output
    for layout in ("Moodle", "Canvas", "plain", "assignsubmission_file_", "_LATE_",
                   "onlinetext"):
        assert layout in text


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def test_a_download_git_would_publish_is_warned_about(course, repo):
    """Is a download inside the course repository and not ignored named in a warning, and
    one in the ignored downloads/ folder not?"""
    _git(course, "init", "-q")
    shutil.copy(repo / ".gitignore", course / ".gitignore")
    exposed = Path(shutil.copytree(MOODLE, course / "notes" / "moodle"))
    result = run(course, exposed)
    assert "is inside the git repository" in result.stderr
    assert "one `git add .` away" in result.stderr
    kept = Path(shutil.copytree(MOODLE, course / "downloads" / "moodle"))
    result = run(course, kept, "--force")
    assert "git repository" not in result.stderr
    assert "imported 2" in result.output
