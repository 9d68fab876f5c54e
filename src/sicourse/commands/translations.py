"""``sicourse translations``: the book's gettext catalogues in locales/ (see
sicourse.book.translations)."""

from __future__ import annotations

import click

from sicourse.book.translations import LOCALES, Languages, extract, problems, shares, update
from sicourse.commands.options import course_command
from sicourse.course import Course


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def translations() -> None:
    """The book in other languages: catalogues in locales/<lang>/LC_MESSAGES/.

    After editing a page or a widget, `sicourse translations update` brings every
    catalogue up to date (new text untranslated, changed text marked fuzzy, the rest
    kept); translate the .po files (any PO editor), then `make book`.
    """


@course_command
@click.option("--lang", "langs", multiple=True, metavar="CODE",
              help="This language (repeat for several); a new one gets its catalogues  "
                   "[default: the editions in locales/languages.yml and every language "
                   "with a folder in locales/]")
def translations_update(course: Course, langs: tuple[str, ...]) -> None:
    """Extract the book's text and merge it into the catalogues of each language."""
    languages = Languages.read(course.root)
    started = [code for code in languages.targets if (course.root / LOCALES / code).is_dir()]
    chosen = list(langs) or list(dict.fromkeys(languages.editions + started))
    click.echo("Extracting the text of every page and widget ...")
    pot_dir = extract(course.root, course.root / "_build")
    done = update(course.root, pot_dir, chosen)
    click.echo(f"Catalogues of {', '.join(chosen)}: {done.get('create', 0)} created, "
               f"{done.get('update', 0)} updated, {done.get('notchanged', 0)} unchanged.")


@course_command
def translations_status(course: Course) -> None:
    """The share of each edition's text that is translated (the rest shows in English)."""
    for found in shares(course.root):
        if not found.total:
            click.echo(f"{found.language}: no catalogues yet "
                       f"(`sicourse translations update --lang {found.language}` makes them)")
            continue
        click.echo(f"{found.language}: {found.percent:5.1f} % translated "
                   f"({found.translated} of {found.total} messages)")
        for catalogue, missing in sorted(found.missing.items(), key=lambda kv: -kv[1])[:5]:
            click.echo(f"    {missing:4d} to translate in {catalogue}.po")


@course_command
@click.option("--lang", "langs", multiple=True, metavar="CODE",
              help="Only this language  [default: every language but the source]")
def translations_check(course: Course, langs: tuple[str, ...]) -> None:
    """List translations whose markup differs from the English: a role's target, a link,
    code, a formula or a footnote changed. Such a translation is left out of the build
    (the English shows) until it is fixed."""
    count = 0
    for language in list(langs) or Languages.read(course.root).targets:
        for problem in problems(course.root, language):
            count += 1
            rel = problem.catalogue.relative_to(course.root)
            click.echo(f"{rel}: {problem.why}\n    {problem.source[:160]}")
    click.echo(f"{count} translation(s) with a markup problem.")
    if count:
        raise SystemExit(1)


translations.add_command(translations_update, "update")
translations.add_command(translations_check, "check")
translations.add_command(translations_status, "status")
