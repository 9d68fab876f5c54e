"""One module per ``sicourse`` subcommand."""
