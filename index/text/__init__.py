"""What ingest, build and search share about text: language detection, index terms, dates at
their precision, and how names are written."""
