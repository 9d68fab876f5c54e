"""Folders as bytes between coordinator and workers: round trip, and no path out of the folder."""

from __future__ import annotations

import pytest

from sicourse.grading import folder_bytes


def test_a_folder_round_trips_without_its_links(tmp_path):
    source = tmp_path / "a"
    (source / "sub").mkdir(parents=True)
    (source / "n.ipynb").write_bytes(b"{}")
    (source / "sub" / "data.csv").write_bytes(b"x,y\n")
    (source / "link").symlink_to("/etc/passwd")
    files = folder_bytes.pack(source)
    assert files == {"n.ipynb": b"{}", "sub/data.csv": b"x,y\n"}
    target = folder_bytes.unpack(files, tmp_path / "b")
    assert folder_bytes.pack(target) == files


@pytest.mark.parametrize("name", ["../escape.txt", "sub/../../escape.txt", "/tmp/escape.txt",
                                  "..\\escape.txt", "a\0b", ""])
def test_a_path_out_of_the_folder_is_refused(tmp_path, name):
    with pytest.raises(folder_bytes.UnsafePath):
        folder_bytes.unpack({name: b"pwned"}, tmp_path / "target")
    assert not (tmp_path / "escape.txt").exists()
