"""`python -m hamnet` = the `hamnet` command."""

from .cli import main

main()
