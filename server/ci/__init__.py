"""Headless replay for CI: runs, thresholds, reports, batches, the pytest plugin."""
