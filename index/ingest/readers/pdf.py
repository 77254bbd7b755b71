"""PDF files: the text layer page by page (pypdf), the title from the document's metadata.

The PDF's CreationDate is when the file was made (often the day it was exported), not when the
article was published, so it is not used as the article's date.
"""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from index.ingest.readers.record import ReadArticle, Unreadable, from_text


def read(data: bytes, name: str) -> ReadArticle:
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise Unreadable(f"unreadable PDF ({error})") from None
    if not any(page.strip() for page in pages):
        raise Unreadable("no text layer (scanned PDF?)")
    return from_text("\n\n".join(pages), title=str(title))
