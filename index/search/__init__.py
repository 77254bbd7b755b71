"""Question → answer: the question read, ranked by meaning and by words, fused, ordered by dates and
diversity, merged into passages with highlights, and answered or declined (`searcher.Searcher`)."""
