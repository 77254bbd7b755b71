"""Tests of question → answer: names, steps, the search on the seeds and on real articles."""
