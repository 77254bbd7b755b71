"""Word files: paragraphs and headings (python-docx), the title from the core properties or first heading.

The core properties' `created` is when the file was made, not when the article was published, so
it is not used as the article's date; the text's own header line or byline are.

A Word file is a zip: what it unpacks to is checked in the zip's directory before anything is
inflated (`check_zip`), then each part is inflated a megabyte at a time, never past the size the
directory declares (`unpack`), and python-docx reads those parts only. Left to itself, zipfile's
read() inflates all of a part in one call before cutting it to its declared size: a part that
declared 50 kB and inflated to 300 MB took 670 MB of memory to refuse.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

import docx

from index.ingest.readers.record import ReadArticle, TooLarge, Unreadable, check_chars, from_text
from index.settings import DEFAULT_LIMITS, ReadLimits

# A Word article has 10 to 30 parts, and one more per picture.
MAX_PARTS = 1_000
# The ratio is judged on parts this large only: a small part of repeated XML packs a thousand times.
RATIO_FROM_BYTES = 1_000_000
# Word deflates or stores its parts. zipfile inflates bzip2 and lzma parts in one call, whatever
# size they declare, so they are refused rather than trusted.
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_CHUNK = 1 << 20


def check_zip(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a zip that unpacks to more than the limits allow, from its directory alone."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise Unreadable(f"a Word file of {len(parts):,} parts (at most {MAX_PARTS:,})")
    for part in parts:
        if part.compress_type not in _METHODS:
            raise Unreadable(f"part {part.filename} is compressed with method {part.compress_type}, not Word's")
    total = sum(part.file_size for part in parts)
    if total > limits.unpacked_bytes:
        raise TooLarge("unpacks to", "MAX_UNPACKED_BYTES", total, limits.unpacked_bytes)
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size >= RATIO_FROM_BYTES and ratio > limits.unpacked_ratio:
            raise TooLarge(f"{part.filename} inflates", "MAX_UNPACKED_RATIO", ratio, limits.unpacked_ratio, " times")


def unpack(archive: zipfile.ZipFile) -> bytes:
    """The zip's parts, each inflated at most to its declared size, as a zip of stored parts."""
    repacked = BytesIO()
    with zipfile.ZipFile(repacked, "w", zipfile.ZIP_STORED) as target:
        for part in archive.infolist():
            with archive.open(part) as source, target.open(part.filename, "w") as copy:
                # read(n) inflates at most n bytes per call; read() would inflate the whole part.
                while chunk := source.read(_CHUNK):
                    copy.write(chunk)
    return repacked.getvalue()


def read(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadArticle:
    title = ""
    lines: list[str] = []
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            check_zip(archive, limits)
            parts = unpack(archive)
        document = docx.Document(BytesIO(parts))
        title = (document.core_properties.title or "").strip()
        size = 0
        for paragraph in document.paragraphs:
            line = paragraph.text.strip()
            if not line:
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            if not title and (style == "Title" or style.startswith("Heading")):
                title = line
            lines.append(line)
            size += len(line) + 2
            check_chars(size, limits.article_chars, at_least=True)
    except Unreadable:
        raise
    except zipfile.BadZipFile as error:
        raise Unreadable(f"unreadable Word file ({error})") from None
    except Exception as error:
        # A damaged file fails inside zipfile, zlib, lxml or python-docx with any of their errors
        # (tests/ingest/test_fuzz_core.py met zlib.error, XMLSyntaxError and NotImplementedError); one
        # file must never stop a build.
        raise Unreadable(f"unreadable Word file ({type(error).__name__}: {error})") from None
    return from_text("\n\n".join(lines), title=title)
