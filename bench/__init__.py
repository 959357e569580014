"""Benchmarks and load drivers for firedrill (importable so tests can reuse the load kit)."""
