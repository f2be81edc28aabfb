"""`python -m accelerator ...`: the same as the `accelerator` script."""

from accelerator.cli import main

main()
