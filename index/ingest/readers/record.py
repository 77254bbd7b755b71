"""What every reader returns, whatever the format."""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal

from index.ingest.articles import ParsedArticle, parse_article
from index.text.dates import WrittenDate


class Unreadable(Exception):
    """The file cannot give an article; the message is the reason shown in `skipped`."""


class TooLarge(Unreadable):
    """The file unpacks to more than a limit allows: refused before the expensive work, nothing kept.

    `setting` names the environment variable (MAX_PDF_PAGES...); `measured` and `limit` are in the
    limit's unit (bytes, a ratio, pages, characters, levels); `at_least` when reading stopped at the
    limit, so the whole is larger still.
    """

    def __init__(
        self, what: str, setting: str, measured: int, limit: int, unit: str = "", at_least: bool = False
    ) -> None:
        self.setting, self.measured, self.limit, self.at_least = setting, measured, limit, at_least
        more = "at least " if at_least else ""
        shown = f"{more}{figure(measured, setting)}{unit}, over {setting}={figure(limit, setting)}"
        super().__init__(f"{what} {shown}".strip())


def figure(value: int, setting: str, lang: str = "en") -> str:
    """A limit's figure as `lang` writes it: bytes in megabytes ("1.5 MB", "1,5 Mo"), others grouped
    ("2,000", "2 000")."""
    if setting == "MAX_UNPACKED_BYTES":
        digits = "#,##0.0" if value < 10_000_000 else "#,##0"
        return f"{format_decimal(value / 1e6, format=digits, locale=lang)} {'Mo' if lang == 'fr' else 'MB'}"
    return format_decimal(value, locale=lang)


def check_chars(count: int, limit: int, at_least: bool = False) -> None:
    """Refuse a text of more than `limit` characters (MAX_ARTICLE_CHARS)."""
    if count > limit:
        raise TooLarge("text of", "MAX_ARTICLE_CHARS", count, limit, " characters", at_least=at_least)


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
