"""Tests of files → articles → passages: readers, cleaning, dates, chunks, limits, fuzzing below the bot."""
