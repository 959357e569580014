"""Float arithmetic whose results are the same bytes on every supported Python.

``sum()`` of floats adds left to right on Python 3.11 but uses compensated
summation from 3.12, so the same drill would log different last digits on
the two. Everything that feeds the log or the grade adds with :func:`total`.
"""

from __future__ import annotations

from collections.abc import Iterable


def total(values: Iterable[float]) -> float:
    """Left-to-right float addition (what ``sum()`` did before Python 3.12)."""
    acc = 0.0
    for v in values:
        acc += v
    return acc
