"""``python -m server serve`` works like ``firedrill serve``."""

from .cli import main

main()
