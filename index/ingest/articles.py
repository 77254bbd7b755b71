"""Turn a raw article page into headline, date and clean paragraphs.

Saved news pages carry furniture around the article: date lines, menu and section labels,
newsletter blurbs, comment forms, "popular articles" lists. We keep the article's own
headings and sentences and drop the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from index.ingest.article_dates import byline_date, parse_written_date, split_leading_written_date
from index.text.dates import Precision, WrittenDate

_DATE_PREFIX = re.compile(
    r"^\s*(?:date|dated|published(?: on)?|updated(?: on)?|publi[ée](?: le)?|mis à jour(?: le)?)\s*:?\s+",
    re.IGNORECASE,
)
# Lines that belong to the page, not the article. Matched against a whole (short) line.
_FURNITURE = re.compile(
    r"^(?:"
    r"newsletter|nos articles à lire|à lire aussi|lire aussi|lire la suite|read more|read also|"
    r"related(?: articles| posts)?|articles? (?:similaires|liés|populaires|récents)|"
    r"popular (?:articles|posts)|most read|les plus lus|recent posts|"
    r"laisser un commentaire|leave a (?:comment|reply)|\d* ?comments?|commentaires?|"
    r"s'il vous plaît entrez votre .*|please enter your .*|"
    r"pour rester informé.*|abonnez-vous.*|inscrivez-vous.*|subscribe.*|sign up.*|"
    r"partager(?: sur .*)?|share(?: this| on .*)?|tags?\s*:.*|mots-clés\s*:.*|"
    r"advertisement|publicité|menu|accueil|home"
    r")[\s.!:]*$",
    re.IGNORECASE,
)
# Markers after which the rest of the page, up to the next real paragraph, is furniture.
_FOOTER_START = re.compile(
    r"^(?:newsletter|laisser un commentaire|leave a (?:comment|reply)|popular (?:articles|posts)|"
    r"articles populaires|related articles|articles similaires|nos articles à lire|lire aussi)",
    re.IGNORECASE,
)
_TERMINAL = ".!?…»”\"'):;"
_BODY_MIN_WORDS = 20
_TITLE_MIN_WORDS = 4
_LABEL_MAX_WORDS = 6
_HEADING_MAX_WORDS = 16
_TITLE_MAX_CHARS = 110
# "ASTANA – ", "KABUL, Afghanistan — ": the place a story was filed from, not its headline.
_DATELINE = re.compile(r"^[A-ZÀ-Ý][A-ZÀ-Ý .'-]{1,40}(?:,\s[A-ZÀ-Ý][\w .'-]{1,30})?\s[–—-]\s")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKUP = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)|`)")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?=\S))")


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    date: date | None
    paragraphs: list[str]
    date_precision: Precision | None = None
    # A dateline or byline date in the first lines, the weakest source of a date.
    byline: WrittenDate | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def normalise(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "").replace("\u00a0", " ").replace("\u202f", " ")
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def strip_markdown(line: str) -> str:
    line = _MD_PREFIX.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    return _MD_MARKUP.sub("", line).strip()


def _words(line: str) -> int:
    return len(line.split())


def is_body(line: str) -> bool:
    return _words(line) >= _BODY_MIN_WORDS


def is_heading(paragraph: str) -> bool:
    """A section heading: short and not ending like a sentence."""
    return _words(paragraph) <= _HEADING_MAX_WORDS and not paragraph.endswith(tuple(_TERMINAL))


def is_furniture(line: str) -> bool:
    return _words(line) <= 12 and bool(_FURNITURE.match(line))


def _lines(raw: str, markdown: bool) -> list[str]:
    lines = normalise(raw).split("\n")
    if markdown:
        lines = [strip_markdown(line) for line in lines]
    return lines


def _join_wrapped(lines: list[str]) -> list[str]:
    """One paragraph per line, re-joining prose that was hard-wrapped across lines."""
    paragraphs: list[str] = []
    previous_blank = True
    for line in lines:
        if not line:
            previous_blank = True
            continue
        if (
            paragraphs
            and not previous_blank
            and len(paragraphs[-1]) >= 60
            and not paragraphs[-1].endswith(tuple(_TERMINAL))
            and (line[0].islower() or paragraphs[-1].endswith((",", "-")))
        ):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        previous_blank = False
    return paragraphs


def _drop_footers(paragraphs: list[str]) -> list[str]:
    kept: list[str] = []
    in_footer = False
    for paragraph in paragraphs:
        if _FOOTER_START.match(paragraph) and _words(paragraph) <= 8:
            in_footer = True
            continue
        if in_footer and not is_body(paragraph):
            continue
        in_footer = False
        if not is_furniture(paragraph):
            kept.append(paragraph)
    return kept


def _fallback_title(paragraphs: list[str]) -> str:
    """No headline on the page: the lede's opening words stand in for one."""
    for paragraph in paragraphs:
        if is_heading(paragraph):
            continue
        lede = _DATELINE.sub("", paragraph)
        sentence = re.split(r"(?<=[.!?])\s", lede, maxsplit=1)[0]
        if len(sentence) <= _TITLE_MAX_CHARS:
            return sentence.rstrip(".")
        cut = sentence[:_TITLE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:")
        return f"{cut}…"
    return ""


def parse_article(raw: str, markdown: bool = False) -> ParsedArticle:
    paragraphs = _join_wrapped(_lines(raw, markdown))
    found_date: WrittenDate | None = None
    byline: WrittenDate | None = None
    title = ""
    header_done = False
    body: list[str] = []
    for paragraph in paragraphs:
        if not header_done:
            prefixed = _DATE_PREFIX.match(paragraph)
            if prefixed and found_date is None:
                leading = split_leading_written_date(paragraph[prefixed.end() :])
                if leading:
                    found_date, paragraph = leading
                    if not paragraph:
                        continue
            elif found_date is None and (alone := parse_written_date(paragraph)):
                found_date = alone
                continue
            if is_body(paragraph):
                header_done = True
            elif is_furniture(paragraph):
                continue
            elif not title and _words(paragraph) >= _TITLE_MIN_WORDS and not paragraph.endswith("."):
                title = paragraph
                continue
            elif _words(paragraph) <= _LABEL_MAX_WORDS and is_heading(paragraph):
                # A category label above the article, or a dateline ("Astana, le 3 juin 2024").
                byline = byline or byline_date([paragraph])
                continue
        body.append(paragraph)
    body = _drop_footers(body)
    while body and is_heading(body[-1]):
        body.pop()  # a trailing heading has no text of its own
    return ParsedArticle(
        title=title or _fallback_title(body),
        date=found_date.day if found_date else None,
        paragraphs=body,
        date_precision=found_date.precision if found_date else None,
        byline=byline or byline_date(body),
    )
