"""Subcommands that sit on top of the library: they parse arguments, call it and print."""
