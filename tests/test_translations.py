"""The translation machinery: markup kept, shares counted, widget text translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from sicourse.book import translations
from sicourse.book.editions import switcher
from sicourse.widgets import content
from sicourse.widgets import translation as widget_text

REPO = Path(__file__).resolve().parents[1]


def write_catalogue(path, messages: dict[str, str], fuzzy: set[str] = frozenset()):
    catalog = Catalog(locale="ar")
    for source, text in messages.items():
        catalog.add(source, text, flags=["fuzzy"] if source in fuzzy else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog)


@pytest.mark.parametrize("source, translated, problem", [
    ("See {term}`Social value`.", "انظر {term}`القيمة الاجتماعية <Social value>`.", ""),
    ("See {term}`Social value`.", "انظر {term}`القيمة الاجتماعية`.", "missing role:term"),
    ("As {cite}`mulgan2006` says", "كما يقول {cite}`مولغان`", "missing role:cite:mulgan2006"),
    ("Read [this](https://example.org).", "اقرأ [هذا](https://example.com).", "missing link"),
    ("Type `x = 1`.", "اكتب `x = 2`.", "missing code:x = 1"),
    ("A rate $r$ a year", "معدل سنوي", "missing math:$r$"),
    ("Cost US$9.6 million and US$7.2 million", "كلفت 9.6 ملايين دولار", ""),
    ("A note[^1].", "ملاحظة.", "missing footnote:1"),
    ("You answered {0} of {1} questions correctly.", "أجبت عن {0} إجابة صحيحة",
     "missing placeholder:{1}"),
    ('Moved "{0}" to position {1} of {2}.', "نُقلت «{0}» إلى الموضع {1} من {2}.", ""),
])
def test_markup_a_translation_must_keep(source, translated, problem):
    found = translations.markup_problem(source, translated)
    assert (found.startswith(problem) if problem else found == ""), found


def test_the_share_counts_only_translated_not_fuzzy_messages_in_scope(tmp_path):
    (tmp_path / "locales").mkdir()
    (tmp_path / translations.LANGUAGES).write_text(
        "source: en\nlanguages:\n  en: {name: English}\n  ar: {name: العربية, dir: rtl}\n"
        "editions: [ar]\nscope: [lessons/, widgets]\n", encoding="utf-8")
    folder = tmp_path / "locales" / "ar" / "LC_MESSAGES"
    write_catalogue(folder / "lessons" / "01.po", {"One": "واحد", "Two": "", "Three": "ثلاثة"},
                    fuzzy={"Three"})
    write_catalogue(folder / "widgets" / "01.po", {"Check": "تحقق"})
    write_catalogue(folder / "book" / "instructor-guide.po", {"Out of scope": ""})
    [share] = translations.shares(tmp_path)
    assert (share.language, share.translated, share.total) == ("ar", 2, 4)
    assert share.missing == {"lessons/01": 2}


def test_a_broken_languages_file_is_named(tmp_path):
    (tmp_path / "locales").mkdir()
    (tmp_path / translations.LANGUAGES).write_text("source: en\nlanguages: [ar]\n")
    with pytest.raises(translations.TranslationError, match="languages.yml"):
        translations.Languages.read(tmp_path)


def test_widget_text_is_read_in_the_builds_language(tmp_path, monkeypatch):
    quiz = tmp_path / "quiz.yml"
    quiz.write_text("widget: quiz\ntitle: Self-check\nquestions:\n  - id: q1\n"
                    "    kind: single\n    prompt: Which one?\n", encoding="utf-8")
    catalogue = tmp_path / "locales" / "ar" / "LC_MESSAGES" / "widgets" / "01.po"
    write_catalogue(catalogue, {"Self-check": "اختبر نفسك", "q1": "ليس نصا"})
    widget_text._catalogue.cache_clear()
    monkeypatch.setenv("SICOURSE_LANGUAGE", "ar")
    monkeypatch.setenv("SICOURSE_LOCALES", str(tmp_path / "locales"))
    data = content.read(quiz).data
    assert data["title"] == "اختبر نفسك"  # translated
    assert data["questions"][0]["prompt"] == "Which one?"  # no translation: English
    assert data["questions"][0]["id"] == "q1"  # ids are never text
    monkeypatch.setenv("SICOURSE_LANGUAGE", "en")
    assert content.read(quiz).data["title"] == "Self-check"


def test_widget_strings_leave_out_ids_and_kinds(repo):
    import yaml

    data = yaml.safe_load((repo / "lessons" / "01-what-is-social-innovation" /
                           "self-check.yml").read_text(encoding="utf-8"))
    found = list(widget_text.strings(data))
    assert data["title"] in found and data["questions"][0]["prompt"] in found
    assert "quiz" not in found and data["questions"][0]["id"] not in found


def test_the_switcher_links_the_same_page_in_every_edition():
    languages = translations.Languages("en", {"en": "English", "ar": "العربية"},
                                       {"en": "ltr", "ar": "rtl"}, ["ar"], [])
    english = switcher(languages, "en", "lessons/01-x")
    assert 'href="../ar/lessons/01-x.html" hreflang="ar"' in english
    assert 'aria-current="page">English' in english
    arabic = switcher(languages, "ar", "lessons/01-x")
    assert 'href="../../lessons/01-x.html" hreflang="en"' in arabic


def test_the_arabic_catalogues_keep_the_markup(repo):
    """A translation whose markup differs would break the strict build of the edition."""
    found = translations.problems(repo, "ar")
    assert found == [], "\n".join(f"{p.catalogue}: {p.why}" for p in found[:20])


def test_the_widgets_interface_text_is_extracted_from_their_code():
    found = translations.interface_strings()
    for text in ("Check answers", "Try again", "Move up", "{0} gaps in your chain: {1}",
                 "Capital raised from investors", "must be more than 0", "Theory of change"):
        assert text in found, text


@pytest.mark.parametrize("language", translations.Languages.read(REPO).targets)
def test_every_language_has_the_widgets_interface_and_theme_words(repo, language):
    """Buttons, verdicts and hints, and the theme's own words, in every listed language."""
    for catalogue in ("interface", "sphinx"):
        path = repo / "locales" / language / "LC_MESSAGES" / f"{catalogue}.po"
        assert path.is_file(), f"{path} is missing: sicourse translations update --lang {language}"
    share = translations.share(repo, language, ["interface", "sphinx"])
    assert share.total >= len(translations.interface_strings())
    assert share.translated == share.total, f"{language}: {share.missing}"


def test_an_editions_pages_carry_its_interface_words(repo):
    strings = translations.interface_catalogue(repo, "ar")
    assert strings.get("Check answers") and strings["Check answers"] != "Check answers"


@pytest.mark.parametrize("edition", translations.Languages.read(REPO).editions)
def test_every_edition_is_at_least_95_percent_translated(repo, edition):
    """An edition is published only when nearly all of its scope is translated."""
    share = translations.share(repo, edition, translations.Languages.read(repo).scope)
    assert share.total > 2000, f"{edition}: only {share.total} messages in scope"
    assert share.percent >= 95, f"{edition}: {share.percent:.1f} %; missing {share.missing}"
