"""Changing the corpus folder between builds: adding a file or a fetched web page, moving one out.

The bot's admins do it from Telegram (`bot/handlers/corpus_changes.py`); nothing here knows Telegram.
Every check runs before anything is written, and a refusal is a `Refused` whose `key` names the
reason (the bot says it in the admin's language) and writes nothing. Nothing is ever deleted: a
removed file goes to a `removed/` folder beside the corpus, where an admin can take it back.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Protocol
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

from index.ingest.article_dates import parse_written_date
from index.ingest.readers import READERS, read_file
from index.ingest.readers import html as html_reader
from index.ingest.readers.record import ReadArticle, TooLarge, Unreadable
from index.ingest.sidecar import (
    CorpusError,
    MetadataConflict,
    add_metadata,
    read_metadata_names,
    read_sidecar,
    valid_url,
)
from index.settings import DEFAULT_LIMITS, ReadLimits

# Exactly what the build reads.
ALLOWED_SUFFIXES = frozenset(READERS)
CAPTION_FIELDS = ("title", "date", "url")
# Last path segments that say nothing about the article: the page title names the file instead.
_GENERIC_SEGMENTS = {"", "index", "default", "home", "article", "articles", "news", "amp", "story", "post"}
_PAGE_SUFFIXES = {".html", ".htm", ".shtml", ".php", ".asp", ".aspx", ".jsp"}


class Refused(ValueError):
    """A change that is not made: `key` names the reason (one of the bot's texts), `fields` its figures."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


class UnsafeName(ValueError):
    """A file name that would leave the corpus folder, or name no file in it."""


# Removing -------------------------------------------------------------------------------------


# Longest file name most file systems take, in bytes (NAME_MAX).
NAME_MAX_BYTES = 255


def no_file_system_takes(name: str) -> bool:
    """A control character (NUL among them) or a part over NAME_MAX bytes: the file system would raise,
    not refuse (found by tests/bot/test_fuzz_bot.py's first run)."""
    return any(unicodedata.category(ch) == "Cc" for ch in name) or any(
        len(part.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES for part in name.split("/")
    )


def corpus_file(corpus_dir: Path, name: str) -> Path:
    """CORPUS_DIR/name, refusing absolute paths, `..` and anything resolving outside the folder."""
    name = name.strip()
    if not name:
        raise UnsafeName("empty")
    if no_file_system_takes(name):
        raise UnsafeName("unwritable")
    pure = PurePosixPath(name)
    if pure.is_absolute() or PureWindowsPath(name).is_absolute() or ".." in pure.parts or "\\" in name:
        raise UnsafeName("outside")
    root = corpus_dir.resolve()
    path = (root / pure).resolve()
    if not path.is_relative_to(root) or path == root:
        raise UnsafeName("outside")
    return path


def removed_dir(corpus_dir: Path) -> Path:
    return corpus_dir.resolve().parent / "removed"


def move_to_removed(corpus_dir: Path, path: Path) -> Path:
    """Move a corpus file to removed/, at the same place under it; where it went."""
    target_dir = removed_dir(corpus_dir) / path.relative_to(corpus_dir.resolve()).parent
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():  # an earlier removal of the same name is kept too
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(path, target)
    return target


# Adding a file --------------------------------------------------------------------------------


def safe_upload_name(name: str) -> str:
    """The plain file name to write, or Refused: any path in the name is refused, not guessed at."""
    name = name.strip()
    if not name or "/" in name or "\\" in name or name in {".", ".."} or ".." in name or name.startswith("."):
        raise Refused("unsafe_name", name=name)
    if no_file_system_takes(name):
        raise Refused("unsafe_name", name=name.encode("unicode_escape").decode("ascii")[:80])
    if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise Refused("bad_suffix", name=name, allowed=" ".join(sorted(ALLOWED_SUFFIXES)))
    return name


def check_content(name: str, data: bytes) -> None:
    """The bytes must be what the suffix says, so the build does not skip the file later."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        ok = data.startswith(b"%PDF")
    elif suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                ok = "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
    else:
        try:
            data.decode("utf-8-sig")  # text uploads must be UTF-8
        except UnicodeDecodeError:
            ok = False
        else:
            ok = suffix not in {".html", ".htm"} or html_reader.looks_like_html(data)
    if not ok:
        raise Refused("bad_content", name=name, kind=suffix.lstrip(".").upper())


def too_large(error: TooLarge, name: str) -> Refused:
    """The refusal of a file over a limit on what it unpacks to, with its figures as the limit counts them
    (numbers: the bot writes them in the admin's language, `figure`)."""
    return Refused(
        f"too_large_{error.setting}",
        name=name,
        setting=error.setting,
        measured=error.measured,
        limit=error.limit,
        at_least=error.at_least,
    )


def check_unpacked(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Refuse an upload over a limit on what it unpacks to before it is saved; other troubles the build reports."""
    try:
        read_file(data, name, limits)
    except TooLarge as error:
        raise too_large(error, name) from None
    except Unreadable:
        pass


def parse_caption(caption: str) -> dict[str, str]:
    """`title: ...`, `date: 2025-02`, `url: https://...` lines, checked as the corpus reader will read them."""
    fields: dict[str, str] = {}
    for line in caption.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), " ".join(value.split())
        if not sep or key not in CAPTION_FIELDS or not value:
            raise Refused("bad_caption", line=line.strip())
        if key == "date" and parse_written_date(value) is None:
            raise Refused("bad_caption", line=line.strip())
        if key == "url" and not valid_url(value):
            raise Refused("bad_caption", line=line.strip())
        fields[key] = value
    return fields


def described_names(corpus_dir: Path) -> set[str]:
    """The names metadata.toml describes; Refused when it cannot be read."""
    try:
        return read_metadata_names(corpus_dir)
    except MetadataConflict as conflict:
        raise Refused("metadata_conflict", name=conflict.name) from None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_upload(corpus_dir: Path, name: str, data: bytes, metadata: dict[str, str] | None = None) -> Path:
    """Write the file atomically into the corpus; Refused for an existing name or identical content."""
    check_content(name, data)
    # An entry kept from a removed file of that name would silently relabel the new one.
    if name in described_names(corpus_dir):
        raise Refused("metadata_conflict", name=name)
    digest = hashlib.sha256(data).hexdigest()
    root = corpus_dir.resolve()
    for existing in sorted(root.rglob("*")):
        if existing.is_file() and existing.stat().st_size == len(data) and _sha256(existing) == digest:
            raise Refused("duplicate", name=name, existing=str(existing.relative_to(root)))
    target = root / name
    if target.exists():
        raise Refused("name_taken", name=name)
    # Written beside the target then renamed: a build never reads a half-written file.
    with tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", delete=False) as handle:
        handle.write(data)
        temporary = Path(handle.name)
    try:
        os.link(temporary, target)  # fails if the name appeared meanwhile, never overwrites
    except FileExistsError:
        raise Refused("name_taken", name=name) from None
    finally:
        temporary.unlink()
    if metadata:
        try:
            add_metadata(corpus_dir, name, metadata)
        except MetadataConflict as conflict:
            target.unlink()  # the caption said what the article is: without it, nothing is kept
            raise Refused("metadata_conflict", name=conflict.name) from None
        except BaseException:
            target.unlink()
            raise
    return target


# Adding a web page ----------------------------------------------------------------------------


class Page(Protocol):
    """A fetched page (`bot.link_fetch.FetchedPage`): its bytes, the address they came from, and
    the charset its server declared."""

    @property
    def data(self) -> bytes: ...

    @property
    def url(self) -> str: ...

    @property
    def charset(self) -> str | None: ...


def _slug(words: str, limit: int = 80) -> str:
    ascii_only = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:limit].strip("-")


def name_for_link(url: str, title: str, taken: Callable[[str], bool]) -> str:
    """`<slug>.html` from the URL's last path segment, or the page title when the segment is bare."""
    segment = PurePosixPath(unquote(urlparse(url).path)).name
    stem, suffix = os.path.splitext(segment)
    slug = _slug(stem if suffix.lower() in _PAGE_SUFFIXES else segment)
    if slug in _GENERIC_SEGMENTS or slug.isdigit() or len(slug) < 4:
        slug = _slug(title) or _slug(urlparse(url).hostname or "") or "page"
    name, n = f"{slug}.html", 2
    while taken(name):
        name, n = f"{slug}-{n}.html", n + 1
    return name


def same_url(url: str) -> str:
    """A URL as compared for duplicates: no fragment, no trailing slash, case-folded scheme and host."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def page_as_utf8(page: Page) -> bytes:
    """The page's own bytes when they are UTF-8 (kept faithful), else re-encoded from its charset:
    the server's, else as the reader decodes a saved page (its own `<meta>`, else cp1252)."""
    try:
        page.data.decode("utf-8")
        return page.data
    except UnicodeDecodeError:
        pass
    decoded = None
    if page.charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            decoded = page.data.decode(page.charset)
    if decoded is None:
        decoded = html_reader.decode_page(page.data)
    if decoded is None:
        raise Refused("link_not_html", url=page.url, detail="undecodable text")
    return decoded.encode("utf-8")


def read_page(data: bytes, url: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadArticle:
    """The page as the build will read it: a page with no article text is refused now, not skipped later."""
    try:
        return html_reader.read(data, "page.html", limits)
    except TooLarge as error:
        raise too_large(error, url) from None
    except Unreadable as error:
        raise Refused("link_no_text", url=url, detail=str(error)) from None


def known_urls(corpus_dir: Path, indexed: list[tuple[str, str]]) -> dict[str, str]:
    """Each article URL the corpus already holds (as `same_url` compares them), with its file: the
    live index's (`indexed`, URL and file in index order), then metadata.toml's."""
    urls = {same_url(url): source for url, source in indexed}
    try:
        # Read as the build reads it: an entry's URL counts only if it is a valid one.
        entries = read_sidecar(corpus_dir, warnings=[])
    except CorpusError:  # an unreadable metadata file: the write that follows will say so
        entries = {}
    for source, entry in entries.items():
        # A removed file's entry is kept for when it comes back, but it is not in the corpus now.
        if entry.url and (corpus_dir / source).is_file():
            urls.setdefault(same_url(entry.url), source)
    return urls


def save_link_page(corpus_dir: Path, page: Page, data: bytes, title: str, metadata: dict[str, str]) -> str:
    """Write the fetched page under a free name (in the corpus, removed/ and metadata.toml); its name."""
    root = corpus_dir.resolve()
    described = described_names(corpus_dir)

    def taken(name: str) -> bool:
        return (root / name).exists() or (removed_dir(corpus_dir) / name).exists() or name in described

    name = name_for_link(page.url, title, taken)
    write_upload(corpus_dir, name, data, metadata)
    return name
