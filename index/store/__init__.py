"""The index on disk: the dense vectors (FAISS), BM25, passages and tables, published atomically
and loaded whole (`directory.load_index`)."""
