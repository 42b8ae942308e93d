"""`python -m toolkit` is the `toolkit` command."""

from .cli import main

main()
