"""Plain typed records passed between the retrieval components."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date

from index.text.dates import Precision, date_json


@dataclass(frozen=True)
class Document:
    id: str
    source: str
    title: str
    date: date | None
    lang: str
    text: str
    sha256: str
    url: str | None = None
    # The date as it was written: a day, a month or a year (`date` is the period's first day).
    date_precision: Precision | None = None
    # Where the date came from: "metadata.toml", "html metadata", "header line", "file name", ...
    date_source: str | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "date_precision": self.date_precision,
            "date_source": self.date_source,
            "lang": self.lang,
            "url": self.url,
            "sha256": self.sha256,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, data: dict) -> Document:
        return cls(
            id=data["id"],
            source=data["source"],
            title=data["title"],
            date=date.fromisoformat(data["date"]) if data["date"] else None,
            lang=data["lang"],
            text=data["text"],
            sha256=data["sha256"],
            url=data["url"],
            date_precision=data.get("date_precision", "day" if data["date"] else None),
            date_source=data.get("date_source"),
        )


@dataclass(frozen=True)
class Chunk:
    id: int
    doc_id: str
    source: str
    title: str
    date: date | None
    lang: str
    url: str | None
    text: str
    # Character offsets into the document's cleaned text, so overlapping chunks can be merged.
    start: int
    end: int
    date_precision: Precision | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> Chunk:
        raw = dict(data)
        raw["date"] = date.fromisoformat(raw["date"]) if raw.get("date") else None
        return cls(**raw)


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass
class Hit:
    rank: int
    score: float
    source: str
    title: str
    date: date | None
    url: str | None
    lang: str
    text: str
    highlight: str
    doc_id: str
    start: int
    end: int
    # Where `highlight`'s sentences sit in `text`, so a reader can mark them in place.
    highlight_spans: tuple[tuple[int, int], ...] = ()
    date_precision: Precision | None = None

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "source": self.source,
            "title": self.title,
            "date": date_json(self.date, self.date_precision),
            "date_precision": self.date_precision if self.date else None,
            "url": self.url,
            "lang": self.lang,
            "text": self.text,
            "highlight": self.highlight,
        }

    def to_row(self) -> dict:
        """Every field, for storing a hit and reading it back (`from_row`); `to_json` is what users see."""
        row = {f.name: getattr(self, f.name) for f in fields(Hit)}
        row["date"] = self.date.isoformat() if self.date else None
        row["highlight_spans"] = [list(span) for span in self.highlight_spans]
        return row

    @classmethod
    def from_row(cls, row: dict) -> Hit:
        row = dict(row)
        row["date"] = date.fromisoformat(row["date"]) if row["date"] else None
        row["highlight_spans"] = tuple(tuple(span) for span in row.get("highlight_spans", ()))
        return cls(**row)


@dataclass
class SearchResult:
    query: str
    answered: bool
    hits: list[Hit] = field(default_factory=list)
    # The period applied, shown to users so the order of the answer is not a surprise: explicit
    # bounds (`period_filtered`, a filter) or the period the question names (a preference).
    period: tuple[date | None, date | None] | None = None
    period_filtered: bool = False
    # Names the question asks about that no passage mentions in any form: why it went unanswered.
    unknown_names: tuple[str, ...] = ()
    # The same, for a question answered all the same (strong passages): readers show a caveat first,
    # 'No article names "X" as such; the closest passages:'.
    unmatched_names: tuple[str, ...] = ()

    def to_json(self) -> dict:
        period = None
        if self.period:
            since, until = self.period
            period = {
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                "filter": self.period_filtered,
            }
        return {
            "query": self.query,
            "answered": self.answered,
            "hits": [hit.to_json() for hit in self.hits],
            "period": period,
            "unknown_names": list(self.unknown_names),
            "unmatched_names": list(self.unmatched_names),
        }
