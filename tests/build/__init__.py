"""Tests of the build and the index on disk: embedders, resume after a kill, the store, vectors."""
