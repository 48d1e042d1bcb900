"""``python -m imgedge.cli``: the ``imgedge`` command."""

from imgedge.cli import main

main()
