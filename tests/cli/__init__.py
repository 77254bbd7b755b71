"""Tests of the citebot command."""
