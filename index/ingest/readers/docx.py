"""Word files: paragraphs and headings (python-docx), the title from the core properties or first heading.

The core properties' `created` is when the file was made, not when the article was published, so
it is not used as the article's date; the text's own header line or byline are.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

import docx
from docx.opc.exceptions import PackageNotFoundError

from index.ingest.readers.record import ReadArticle, Unreadable, from_text


def read(data: bytes, name: str) -> ReadArticle:
    try:
        document = docx.Document(BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise Unreadable(f"unreadable Word file ({error})") from None
    title = (document.core_properties.title or "").strip()
    lines: list[str] = []
    for paragraph in document.paragraphs:
        line = paragraph.text.strip()
        if not line:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if not title and (style == "Title" or style.startswith("Heading")):
            title = line
        lines.append(line)
    return from_text("\n\n".join(lines), title=title)
