"""Every point of the source-text digest is taught in some lesson section that exists."""

from __future__ import annotations

import yaml

from sicourse.book import coverage


def digest(repo):
    return repo / "book" / "coverage" / "seed-digest.md"


def test_digest_copy_matches_the_shared_digest(repo):
    """Is the repository's copy of the digest the one in ../shared (where that folder exists)?"""
    copy = digest(repo).read_text(encoding="utf-8")
    assert "## 000" in copy and "## 004" in copy
    shared = repo.parent / "shared" / "seed-digest.md"
    if shared.exists():
        assert shared.read_text(encoding="utf-8") == copy, "update book/coverage/seed-digest.md"


def test_digest_points_are_numbered_as_documented(repo):
    """Are the digest's points read as the ids the coverage files use (49 points, 5 sources)?"""
    points = coverage.digest_points(digest(repo))
    assert len(points) == 49
    assert points["001-08"].startswith("importance:")
    assert points["002-16"].startswith("core-innovation development")
    assert "out of scope" in points["003-09"]


def test_every_point_is_taught_or_marked_out_of_scope(repo):
    """Does each digest point have at least one lesson section, or a reason it is out of scope?"""
    points = coverage.digest_points(digest(repo))
    maps = coverage.coverage_maps(repo / "book" / "coverage")
    taught = {p for lesson in maps.values() for p, labels in lesson.items() if labels}
    out = yaml.safe_load((repo / "book" / "coverage" / coverage.OUT_OF_SCOPE).read_text())
    for point, reason in out.items():
        assert "out of scope" in points[point], f"{point} is not marked out of scope in the digest"
        assert isinstance(reason, str) and reason.strip()
    assert set(points) - taught - set(out) == set()
    assert (set(taught) | set(out)) - set(points) == set(), "coverage names unknown point ids"


def test_every_named_section_exists_in_its_lesson(repo):
    """Is every label in a coverage file a heading label in that lesson?"""
    maps = coverage.coverage_maps(repo / "book" / "coverage")
    assert maps
    for lesson, points in maps.items():
        path = repo / "lessons" / f"{lesson}.md"
        assert path.is_file(), f"book/coverage/{lesson}.yml names no existing lesson"
        labels = coverage.section_labels(path)
        for point, named in points.items():
            missing = set(named) - labels
            assert not missing, f"{lesson}: {point} names missing sections {sorted(missing)}"
