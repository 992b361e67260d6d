"""`python -m allocator` runs the command line."""

from allocator.cli import main

main()
