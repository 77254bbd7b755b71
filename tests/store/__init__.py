"""Tests of the index backends behind index/store/backend.py: Milvus against a real milvus-lite server."""
