"""Files → Documents → Chunks: the corpus folder walked, each file read by its format's reader,
cleaned, dated as written, and cut into passages of whole sentences."""
