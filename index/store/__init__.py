"""Where the index lives: `backend.py` is what search needs from storage; `directory.py` the files
on disk (FAISS vectors, BM25, passages and tables, published atomically and loaded whole), the
default; `milvus.py` the same in Milvus (INDEX_BACKEND=milvus), `milvus_lite.py` its engine on a port."""
