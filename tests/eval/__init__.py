"""Tests of cross-validated constants."""
