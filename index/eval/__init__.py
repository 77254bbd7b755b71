"""Judging search: metrics over labelled question sets, cross-validated choice of the search
constants, and indexes of several corpus folders for evaluation."""
