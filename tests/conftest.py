"""Pytest configuration of asyncify's own suite."""

# tests/fixtures holds inputs and expected outputs, including whole projects with their own
# test suites (run on purpose by tests/behaviour/test_suites.py): never collect them here.
collect_ignore = ["fixtures"]
