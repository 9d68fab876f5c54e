"""The ``sicourse`` command: one group, one module per subcommand."""

from __future__ import annotations

import click

from sicourse.commands.build import build
from sicourse.commands.check import check
from sicourse.commands.rubrics import rubrics


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="social-innovation-course")
def main() -> None:
    """Build and grade the open course on social innovation."""


main.add_command(build)
main.add_command(check)
main.add_command(rubrics)


if __name__ == "__main__":
    main()
