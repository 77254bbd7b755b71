"""Tests of the install: the lock files against pyproject.toml."""
