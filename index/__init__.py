"""The retrieval core, in rooms by stage; it knows nothing of Telegram.

files → index:     ingest/  (corpus folder, readers, cleaning, dates, chunks)
                   build/   (embedding with its cache, name mining, language bias, the build pipeline)
                   store/   (the index on disk: FAISS vectors, BM25, published atomically)
question → answer: search/  (question, names, rankings fused, dates, diversity, passages, highlight, abstention)
judging search:    eval/    (metrics, cross-validated constants, eval corpora)
shared:            text/    (language, terms, dates, name forms), models.py (Document, Chunk, Hit), settings.py
"""
