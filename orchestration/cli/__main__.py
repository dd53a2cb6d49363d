"""`python -m orchestration.cli`, as the `snapmart` script."""

from orchestration.cli import main

main()
