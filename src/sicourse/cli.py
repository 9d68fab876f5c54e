"""The ``sicourse`` command: one group, one module per subcommand.

Subcommands are imported only when they run, so ``sicourse build`` does not pay
for importing the grading tools (and the reverse).
"""

from __future__ import annotations

import importlib

import click

# name -> the module in sicourse.commands that defines a click command of that name
SUBCOMMANDS = ("build", "check", "collect", "export", "feedback", "grade", "report", "roster",
               "rubrics", "translations")


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with the whole first paragraph of its help, wrapped, never cut."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            text = command.short_help or (command.help or "").split("\n\n")[0]
            rows.append((name, " ".join(text.split())))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        return getattr(importlib.import_module(f"sicourse.commands.{name}"), name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="social-innovation-course")
def main() -> None:
    """Build and grade the open course on social innovation."""


if __name__ == "__main__":
    main()
