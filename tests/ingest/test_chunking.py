import itertools

from index.ingest.chunking import chunk_documents
from index.ingest.corpus import load_corpus
from tests.conftest import SEEDS


def test_chunks_are_whole_sentences_of_bounded_size():
    documents = load_corpus(SEEDS, 2_000_000).documents
    chunks = chunk_documents(documents)
    by_doc = {d.id: d for d in documents}
    assert len(chunks) > len(documents)
    for chunk in chunks:
        words = len(chunk.text.split())
        assert 40 <= words <= 240, (chunk.source, words)
        assert chunk.text == by_doc[chunk.doc_id].text[chunk.start : chunk.end]
        assert chunk.text.rstrip()[-1] in '.!?»”"', chunk.text[-40:]
        assert len(chunk.text.split("\n\n")[-1].split()) > 6  # never ends on a lone heading
        assert chunk.title == by_doc[chunk.doc_id].title and chunk.date == by_doc[chunk.doc_id].date
    # Consecutive chunks of one document overlap a little or touch, and cover it all.
    for doc_id, document in by_doc.items():
        spans = [(c.start, c.end) for c in chunks if c.doc_id == doc_id]
        assert spans[0][0] == 0 and spans[-1][1] == len(document.text)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start <= end + 2
