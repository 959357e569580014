"""Stored expected outcomes of the library's reference scripts (golden logs).

Regenerate after a deliberate model change: ``python -m tests.golden.regen``.
"""
