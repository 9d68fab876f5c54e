"""``sicourse build``: the strict book build that ``make book`` runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click


def strict_build_args(root: Path, output: Path | None = None) -> list[str]:
    """The jupyter-book command line: warnings fail the build, but all are reported."""
    args = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(root),
        "--builder", "html", "-W", "-n", "--keep-going",
    ]
    if output is not None:
        args += ["--path-output", str(output)]
    return args


@click.command()
@click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The course repository (the folder with _config.yml).",
)
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Write _build/ under this folder instead of the course folder.",
)
@click.option("--all", "rebuild_all", is_flag=True,
              help="Rebuild every page, not only the ones that changed.")
def build(root: Path, output: Path | None, rebuild_all: bool) -> None:
    """Generate student versions of the exercises, run the lessons and build the HTML book."""
    if not (root / "_config.yml").is_file():
        raise click.UsageError(f"{root}: no _config.yml here; run from the course repository.")
    args = strict_build_args(root, output)
    if rebuild_all:
        args.append("--all")
    result = subprocess.run(args)
    if result.returncode != 0:
        click.echo("The book build failed: see the warnings and errors above.", err=True)
        sys.exit(result.returncode)
    index = ((output or root) / "_build" / "html" / "index.html").resolve()
    if not index.is_file():
        raise click.ClickException(f"the build reported success but wrote no {index}")
    click.echo(f"\nThe book is ready. Open this file in a browser:\n  {index}")
