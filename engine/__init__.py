"""firedrill's pure simulation core (no I/O, no wall clock, no global random)."""

__version__ = "0.1.0"
