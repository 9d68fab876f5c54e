"""`sicourse collect` against hostile downloads: zip bombs, damaged or unreadable entries,
a forged timestamp.txt and terminal escape sequences in names.

Every case puts good students in the same download: they must be imported with
exactly their files, while the bad one is reported with the file and the reason
and leaves nothing behind.
"""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import parse_utc

from sicourse.commands.collect import collect
from sicourse.grading import intake
from sicourse.grading.collect_limits import MB, Budget, Limits, Rejected
from sicourse.grading.collect_sources import Entry, escape_controls

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
TIMESTAMP = intake.TIMESTAMP


def notebook(answer: str) -> bytes:
    """A notebook with one answer cell, the same bytes for the same answer."""
    return nbformat.writes(new_notebook(cells=[new_code_cell(answer, id="answer")])).encode()


GOOD = {"alice/a.ipynb": notebook('answer_q1 = "A"'), "alice/data.csv": b"x\n1\n",
        "bob/b.ipynb": notebook('answer_q1 = "B"')}
GOOD_RESULT = {"alice": {NOTEBOOK: notebook('answer_q1 = "A"'), "data.csv": b"x\n1\n"},
               "bob": {NOTEBOOK: notebook('answer_q1 = "B"')}}


@pytest.fixture
def course(tmp_path, repo) -> Path:
    root = tmp_path / "course"
    shutil.copytree(repo / "exercises" / ASSIGNMENT, root / "exercises" / ASSIGNMENT)
    shutil.copy(repo / "nbgrader_config.py", root)
    return root


def make_zip(path: Path, members: dict[str, bytes],
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def patch(archive: Path, name: str, field: str, value: int) -> None:
    """Overwrite one field of ``name``'s local and central headers, as a forger would."""
    local_at, central_at, fmt = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"),
                                 "size": (22, 24, "<I")}[field]
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        local = zf.getinfo(name).header_offset
    struct.pack_into(fmt, data, local + local_at, value)
    central = data.index(b"PK\x01\x02")  # the first central header
    while data[central + 46:central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into(fmt, data, central + central_at, value)
    archive.write_bytes(bytes(data))


def flip_data_byte(archive: Path, name: str) -> None:
    """Damage one byte of ``name``'s data (not its headers)."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(name)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    archive.write_bytes(bytes(data))


def run(course: Path, source: Path, *args: str):
    return CliRunner().invoke(
        collect, [ASSIGNMENT, str(source), "--root", str(course), *args], catch_exceptions=False
    )


def contents(course: Path) -> dict[str, dict[str, bytes]]:
    """Each student's files and their bytes, but collect's own timestamp.txt."""
    found = {}
    for student in sorted((course / "submitted").iterdir()):
        folder = student / ASSIGNMENT
        files = {str(p.relative_to(folder)): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file()}
        assert TIMESTAMP in files, f"{student.name}: no timestamp.txt written"
        del files[TIMESTAMP]
        found[student.name] = files
    return found


def leftovers(course: Path) -> list[str]:
    """Temporary or backup folders collect left in submitted/."""
    return [str(p) for p in (course / "submitted").rglob("*") if "collect-" in p.name]


def test_a_zip_bomb_is_stopped_by_the_default_cap_per_file(course, tmp_path):
    """Does a small zip that inflates to 30 MB stop at the default 20 MB cap, others imported?"""
    source = make_zip(tmp_path / "bomb.zip", {**GOOD, "carol/c.ipynb": notebook("1"),
                                              "carol/bomb.bin": bytes(30 * MB)})
    assert source.stat().st_size < 100_000
    result = run(course, source)
    assert contents(course) == GOOD_RESULT
    assert ("failed carol: carol/bomb.bin: more than 20 MB uncompressed, the cap per file "
            "(--max-file-size); nothing of this student imported") in result.stderr
    assert "imported 2, skipped 0, unmatched 0, failed 1" in result.stdout
    assert result.exit_code == 1
    assert leftovers(course) == []


def test_the_cap_per_student_counts_all_their_files(course, tmp_path):
    """Are files each under the file cap, together over --max-student-size, refused?"""
    big = {f"carol/part{i}.bin": bytes(MB - 10) for i in range(3)}
    source = make_zip(tmp_path / "s.zip", {**GOOD, "carol/c.ipynb": notebook("1"), **big})
    result = run(course, source, "--max-file-size", "1", "--max-student-size", "2")
    assert contents(course) == GOOD_RESULT
    assert "failed carol: carol/part1.bin: the submission comes to more than 2 MB" in (
        result.stderr
    )
    assert "the cap per student (--max-student-size)" in result.stderr
    assert not (course / "submitted" / "carol").exists()
    assert result.exit_code == 1


def test_the_cap_per_batch_leaves_out_the_students_who_do_not_fit(course, tmp_path):
    """Once --max-batch-size is nearly used, is a student who would pass it left out,
    while a smaller one after them still fits?"""
    source = make_zip(tmp_path / "s.zip", {
        "alice/a.ipynb": notebook('answer_q1 = "A"'), "alice/data.bin": bytes(600_000),
        "bob/b.ipynb": notebook('answer_q1 = "B"'), "bob/data.bin": bytes(600_000),
        "carol/c.ipynb": notebook('answer_q1 = "C"'),
    })
    result = run(course, source, "--max-batch-size", "1")
    assert contents(course) == {
        "alice": {NOTEBOOK: notebook('answer_q1 = "A"'), "data.bin": bytes(600_000)},
        "carol": {NOTEBOOK: notebook('answer_q1 = "C"')},
    }
    assert "failed bob: bob/data.bin: the batch would come to more than 1 MB" in result.stderr
    assert "the cap per batch (--max-batch-size)" in result.stderr
    assert result.exit_code == 1


def test_a_zip_that_understates_a_size_writes_nothing_for_that_student(course, tmp_path):
    """Does an entry whose headers claim 100 bytes but hold 30 MB leave nothing behind?"""
    source = make_zip(tmp_path / "lie.zip", {**GOOD, "carol/c.ipynb": notebook("1"),
                                             "carol/bomb.bin": bytes(30 * MB)})
    patch(source, "carol/bomb.bin", "size", 100)
    result = run(course, source)
    assert contents(course) == GOOD_RESULT
    assert "failed carol: carol/bomb.bin: corrupt" in result.stderr
    assert not (course / "submitted" / "carol").exists() and leftovers(course) == []


@pytest.mark.parametrize("cap", ["file", "student", "batch"])
def test_the_caps_count_the_bytes_read_not_the_declared_size(cap):
    """Is a stream longer than its declared size stopped by each cap as it is read?"""
    limits = Limits(per_file=10 * MB, per_student=10 * MB, per_batch=10 * MB)
    setattr(limits, f"per_{cap}", MB)
    entry = Entry(PurePosixPath("carol/bomb.bin"), 10, lambda: io.BytesIO(bytes(2 * MB)))
    budget = Budget(limits)
    budget.check_declared([entry])  # 10 bytes declared: passes
    out = io.BytesIO()
    with pytest.raises(Rejected, match=f"carol/bomb.bin: .*the cap per {cap}"):
        budget.copy(entry, out)
    assert len(out.getvalue()) <= MB  # it stopped at the cap, not at the end


@pytest.mark.parametrize("compression, reason", [
    (zipfile.ZIP_STORED, "corrupt: its CRC-32 check failed"),
    (zipfile.ZIP_DEFLATED, "corrupt"),
])
def test_a_damaged_entry_fails_only_its_student(course, tmp_path, compression, reason):
    """Is a student with a damaged entry (bad CRC or broken data) reported, the rest imported?"""
    source = make_zip(tmp_path / "crc.zip", {
        **GOOD, "carol/c.ipynb": notebook("1"), "carol/essay.txt": b"my essay " * 1000,
    }, compression)
    flip_data_byte(source, "carol/essay.txt")
    result = run(course, source)
    assert contents(course) == GOOD_RESULT
    assert f"failed carol: carol/essay.txt: {reason}" in result.stderr
    assert "Traceback" not in result.output
    assert not (course / "submitted" / "carol").exists() and leftovers(course) == []
    assert result.exit_code == 1


@pytest.mark.parametrize("method, name", [(9, "Deflate64"), (98, "PPMd"),
                                          (77, "an unknown method")])
def test_an_unsupported_compression_method_fails_only_its_student(course, tmp_path,
                                                                  method, name):
    """Is an entry compressed with Deflate64, PPMd or an unknown method reported by name?"""
    source = make_zip(tmp_path / "m.zip", {**GOOD, "carol/c.ipynb": notebook("1")})
    patch(source, "carol/c.ipynb", "method", method)
    result = run(course, source)
    assert contents(course) == GOOD_RESULT
    assert (f"failed carol: carol/c.ipynb: compressed with {name} (method {method}), "
            "which collect cannot read") in result.stderr
    assert not (course / "submitted" / "carol").exists() and leftovers(course) == []
    assert result.exit_code == 1


def test_an_encrypted_entry_fails_only_its_student(course, tmp_path):
    """Is a password-protected entry reported as encrypted, the other students imported?"""
    source = make_zip(tmp_path / "enc.zip", {**GOOD, "carol/c.ipynb": notebook("1"),
                                             "carol/secret.txt": b"hidden"})
    patch(source, "carol/secret.txt", "flags", 0x1)
    result = run(course, source)
    assert contents(course) == GOOD_RESULT
    assert "failed carol: carol/secret.txt: encrypted (password-protected)" in result.stderr
    assert not (course / "submitted" / "carol").exists() and leftovers(course) == []


def test_a_failed_reimport_keeps_the_earlier_import(course, tmp_path):
    """With --force, does a re-import that fails leave the earlier good import untouched?"""
    run(course, make_zip(tmp_path / "first.zip", GOOD))
    before = contents(course)
    stamp = (course / "submitted" / "alice" / ASSIGNMENT / TIMESTAMP).read_text()
    second = make_zip(tmp_path / "second.zip", {"alice/a.ipynb": notebook('answer_q1 = "Z"'),
                                                "alice/notes.txt": b"new notes " * 100},
                      zipfile.ZIP_STORED)
    flip_data_byte(second, "alice/notes.txt")
    result = run(course, second, "--force")
    assert "failed alice: alice/notes.txt: corrupt" in result.stderr
    assert "the earlier import is kept" in result.stderr
    assert contents(course) == before
    assert (course / "submitted" / "alice" / ASSIGNMENT / TIMESTAMP).read_text() == stamp
    assert leftovers(course) == []
    assert result.exit_code == 1


def test_a_students_own_timestamp_is_not_the_submission_time(course, tmp_path):
    """Is a student's timestamp.txt (dated 2001) kept out of timestamp.txt, reported, and
    flagged by grading as an extra file, while the submission time is the collect time?"""
    forged = b"2001-01-01 00:00:00.000000 UTC"
    source = make_zip(tmp_path / "t.zip", {**GOOD, "carol/c.ipynb": notebook("1"),
                                           "carol/timestamp.txt": forged})
    started = datetime.now(timezone.utc).replace(tzinfo=None)  # parse_utc gives naive UTC
    result = run(course, source)
    assert result.exit_code == 0, result.output
    folder = course / "submitted" / "carol" / ASSIGNMENT
    when = parse_utc((folder / TIMESTAMP).read_text().strip())  # as sicourse grade reads it
    assert started - timedelta(seconds=1) <= when <= datetime.now(timezone.utc).replace(tzinfo=None)
    for student in ("alice", "bob"):
        stamp = (course / "submitted" / student / ASSIGNMENT / TIMESTAMP).read_text().strip()
        assert parse_utc(stamp) == when
    assert (folder / "timestamp-from-student.txt").read_bytes() == forged
    assert contents(course)["carol"] == {NOTEBOOK: notebook("1"),
                                         "timestamp-from-student.txt": forged}
    assert ("note: carol: the submission's own timestamp.txt is not its submission time; "
            "copied as timestamp-from-student.txt, an extra file") in result.stdout
    taken = intake.read_submission(folder, course / "exercises" / ASSIGNMENT)
    assert any(f.code == "extra-files" and "timestamp-from-student.txt" in f.detail
               for f in taken.flags)
    assert contents(course)["alice"] == GOOD_RESULT["alice"]


def test_a_timestamp_folder_or_other_case_is_renamed_too(course, tmp_path):
    """Are TIMESTAMP.TXT and a folder named timestamp.txt kept off the submission time too?"""
    source = make_zip(tmp_path / "t.zip", {
        "carol/c.ipynb": notebook("1"), "carol/timestamp.txt/x.txt": b"2001-01-01",
        "dave/d.ipynb": notebook("2"), "dave/TIMESTAMP.TXT": b"2001-01-01",
    })
    result = run(course, source)
    assert result.exit_code == 0, result.output
    assert contents(course) == {
        "carol": {NOTEBOOK: notebook("1"), "timestamp-from-student.txt/x.txt": b"2001-01-01"},
        "dave": {NOTEBOOK: notebook("2"), "timestamp-from-student.txt": b"2001-01-01"},
    }


def test_control_characters_in_names_are_printed_escaped(course, tmp_path):
    """Do ESC sequences, carriage returns and bidi overrides in file and student names
    reach the output only as escapes, in every kind of line collect prints?"""
    red = "\x1b[31m"
    source = make_zip(tmp_path / "esc.zip", {
        **GOOD,
        f"carol/{red}extra\r.ipynb": notebook("2"),     # a note line: extra notebook
        f"carol/{NOTEBOOK}": notebook("1"),
        f"{red}stray\r.txt": b"x",                       # an unmatched line
        "dave\u202e/d.ipynb": notebook("3"),             # a renamed id line
        f"erin/{red}bad\r.txt": b"data " * 100,          # a failed line
        "erin/e.ipynb": notebook("4"),
        f"frank{red}/f.ipynb": notebook("5"),
    })
    flip_data_byte(source, f"erin/{red}bad\r.txt")
    result = run(course, source, "--verbose")
    output = result.stdout + result.stderr
    for raw in ("\x1b", "\r", "\u202e"):
        assert raw not in output
    assert r"note: carol: extra notebook \x1b[31mextra\r.ipynb copied" in output
    assert r"unmatched \x1b[31mstray\r.txt: a file at the top level" in output
    assert r"imported dave (plain layout; id 'dave\u202e' written as 'dave'" in output
    assert r"failed erin: erin/\x1b[31mbad\r.txt: corrupt" in output
    assert r"imported frank_31m (plain layout; id 'frank\x1b[31m' written as" in output
    assert contents(course)["carol"][f"{red}extra\r.ipynb"] == notebook("2")
    assert "alice" in contents(course) and "bob" in contents(course)
    assert escape_controls("Ali Ören, עברית, عربي") == "Ali Ören, עברית, عربي"


def test_dry_run_reads_every_file_and_writes_nothing(course, tmp_path):
    """Does --dry-run find the damaged and the oversized students without writing?"""
    source = make_zip(tmp_path / "d.zip", {**GOOD, "carol/c.ipynb": notebook("1"),
                                           "carol/bomb.bin": bytes(30 * MB),
                                           "dave/d.ipynb": notebook("1"),
                                           "dave/essay.txt": b"essay " * 1000},
                      zipfile.ZIP_STORED)
    flip_data_byte(source, "dave/essay.txt")
    result = run(course, source, "--dry-run")
    assert "would fail carol: carol/bomb.bin: more than 20 MB" in result.stderr
    assert "would fail dave: dave/essay.txt: corrupt: its CRC-32 check failed" in result.stderr
    assert "would import 2" in result.stdout
    assert not (course / "submitted").exists()


def test_the_caps_have_documented_defaults():
    """Does --help show each cap with its default (20, 50 and 2048 MB)?"""
    text = CliRunner().invoke(collect, ["--help"], terminal_width=300,
                              max_content_width=300).output
    for option, default in (("--max-file-size", 20), ("--max-student-size", 50),
                            ("--max-batch-size", 2048)):
        described = text.split(f"  {option}", 1)[1].split("\n  -", 1)[0]
        assert f"[default: {default};" in described, described
