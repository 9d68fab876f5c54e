"""The glossary: four languages per term, right-to-left scripts marked, mistakes named."""

from __future__ import annotations

import re

import pytest

from sicourse.book import glossary


def test_every_term_has_all_four_languages(repo):
    """Does each term of the course have an English definition and Arabic, Hebrew, Swedish forms?"""
    entries = glossary.load(repo / "book" / "glossary")
    assert len(entries) >= 8
    for entry in entries:
        for field in ("definition", "ar", "he", "sv"):
            assert entry[field].strip(), (entry["term"], field)
        assert re.search(r"[\u0600-\u06FF]", entry["ar"]), f"{entry['term']}: ar is not Arabic"
        assert re.search(r"[\u0590-\u05FF]", entry["he"]), f"{entry['term']}: he is not Hebrew"


def test_right_to_left_terms_are_marked(repo):
    """Are Arabic and Hebrew wrapped with lang and dir=rtl so browsers lay them out right?"""
    page = glossary.to_myst(glossary.load(repo / "book" / "glossary"))
    assert '<span lang="ar" dir="rtl">ابتكار اجتماعي</span>' in page
    assert '<span lang="he" dir="rtl">חדשנות חברתית</span>' in page
    assert '<span lang="sv" dir="ltr">social innovation</span>' in page


def test_glossary_terms_render_rtl_in_the_book(built_book):
    """Does the built glossary page keep the rtl markup (not escaped by MyST)?"""
    page = (built_book / "book" / "generated" / "glossary.html").read_text(encoding="utf-8")
    assert '<span lang="he" dir="rtl">' in page
    assert 'id="term-Social-innovation"' in page


def test_every_term_link_in_the_lessons_resolves(repo):
    """Does every {term} role in the lessons point at a glossary entry?"""
    terms = {e["term"].lower() for e in glossary.load(repo / "book" / "glossary")}
    used = set()
    for lesson in (repo / "lessons").glob("*.md"):
        for text, target in re.findall(r"\{term\}`([^`<]+?)\s*(?:<([^>]+)>)?`", lesson.read_text()):
            used.add((target or text).strip().lower())
    assert used, "no lesson links a glossary term"
    assert used - terms == set()


@pytest.mark.parametrize("text, message", [
    ("- term: X\n  definition: d\n  ar: ع\n  he: ע\n", "entry 1 (X): field 'sv' is missing"),
    ("- term: X\n  definition: d\n  ar: ع\n  he: ע\n  sv: x\n  fr: x\n", "unknown field(s) fr"),
    ("- just text\n", "entry 1: expected a mapping"),
    ("term: [\n", "invalid YAML"),
])
def test_mistakes_name_the_file_entry_and_field(tmp_path, text, message):
    """Does a glossary mistake say which file, which entry and which field?"""
    (tmp_path / "01.yml").write_text(text, encoding="utf-8")
    with pytest.raises(glossary.GlossaryError, match=re.escape(message)) as err:
        glossary.load(tmp_path)
    assert "01.yml" in str(err.value)


def test_a_term_defined_in_two_files_is_refused(tmp_path):
    """Is the same term in two lessons' files reported with both places?"""
    entry = "- term: X\n  definition: d\n  ar: ع\n  he: ע\n  sv: x\n"
    (tmp_path / "01.yml").write_text(entry, encoding="utf-8")
    (tmp_path / "02.yml").write_text(entry.replace("X", "x"), encoding="utf-8")
    with pytest.raises(glossary.GlossaryError, match="02.yml: term 'x' is already in .*01.yml"):
        glossary.load(tmp_path)
