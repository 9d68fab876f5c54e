"""The sicourse command line: help everywhere, clear errors."""

from __future__ import annotations

from click.testing import CliRunner

from sicourse.cli import main


def test_every_command_has_help():
    """Does `--help` work on the group and on every subcommand?"""
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0 and "build" in result.output
    names = main.list_commands(None)
    assert {"build", "check", "rubrics"} <= set(names)
    for name in names:
        assert name in result.output
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, name
        assert "Usage:" in sub.output


def test_top_level_help_shows_whole_descriptions():
    """Does `sicourse --help` show each command's whole first paragraph, never cut with '...'?"""
    result = CliRunner().invoke(main, ["--help"], terminal_width=80)
    listing = " ".join(result.output.split("Commands:")[1].split())
    assert "..." not in listing
    for name in main.list_commands(None):
        first = " ".join(main.get_command(None, name).help.split("\n\n")[0].split())
        assert first in listing, name


def test_build_refuses_a_folder_that_is_not_a_course(tmp_path):
    """Outside the course repository, does build say so instead of running Sphinx?"""
    result = CliRunner().invoke(main, ["build", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "no _config.yml here" in result.output

