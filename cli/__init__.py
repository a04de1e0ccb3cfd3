"""The `ssl-domains` command line: thin Typer commands over the library."""
