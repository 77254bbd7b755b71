"""What every reader returns, whatever the format."""

from __future__ import annotations

from dataclasses import dataclass

from index.ingest.articles import ParsedArticle, parse_article
from index.text.dates import WrittenDate


class Unreadable(Exception):
    """The file cannot give an article; the message is the reason shown in `skipped`."""


@dataclass(frozen=True)
class ReadArticle:
    title: str
    paragraphs: list[str]
    date: WrittenDate | None = None
    # "html metadata", "header line", ...: shown by `citebot sources`.
    date_source: str | None = None
    url: str | None = None
    # A dateline or byline date in the first lines, used only when nothing better dates the article.
    byline: WrittenDate | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def from_text(
    raw: str,
    title: str = "",
    markdown: bool = False,
    metadata_date: WrittenDate | None = None,
    metadata_source: str | None = None,
    url: str | None = None,
) -> ReadArticle:
    """Clean extracted text like a .txt article; the file's own title and date win over the text's."""
    parsed: ParsedArticle = parse_article(raw, markdown=markdown)
    header = WrittenDate(parsed.date, parsed.date_precision or "day") if parsed.date else None
    if metadata_date is not None:
        found, source = metadata_date, metadata_source
    else:
        found, source = header, "header line" if header else None
    paragraphs = parsed.paragraphs
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline repeated at the top of the body
    return ReadArticle(
        title=" ".join(title.split()) or parsed.title,
        paragraphs=paragraphs,
        date=found,
        date_source=source,
        url=url,
        byline=parsed.byline,
    )
