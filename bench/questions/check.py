"""Validate bench/questions/kz.jsonl against the 18-article corpus and print its count tables.

python3 bench/questions/check.py                       # corpus folders: seeds and ../shared/eval/corpus-real
python3 bench/questions/check.py DIR [DIR ...]         # other article folders
python3 bench/questions/check.py --file other.jsonl    # another question file
python3 bench/questions/check.py --chunks              # also: every answer string inside one indexed passage

Stdlib only (the optional --chunks imports the project's own loader and chunker; no model, no index).
Exit status 1 when any check fails; the failures are listed first. See PROTOCOL.md for the rules.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIRS = ("seeds", "../shared/eval/corpus-real")
DEFAULT_FILE = Path(__file__).resolve().parent / "kz.jsonl"

FIELDS = {"id", "q", "lang", "doc", "any", "kind", "split", "aspect"}
OPTIONAL = {"also", "absent"}
KINDS = ("same", "cross", "date", "none")
SPLITS = ("tune", "heldout")
LANGS = ("en", "fr")
ANSWER_ASPECTS = ("plain", "acronym", "translated_name", "demonym", "date")
NONE_ASPECTS = ("none_named", "none_topic")
NAME_ASPECTS = {"acronym", "translated_name", "demonym"}

# The language each article is written in; a corpus file missing here is an error.
ARTICLE_LANG = {
    "000_f886bad5c2fd2437.txt": "fr",
    "001_c0a4decbc27cb472.txt": "en",
    "002_afc2c321953de182.txt": "fr",
    "003_0f37ec3c77dfb273.txt": "fr",
    "004_c4a08215d9484b76.txt": "fr",
    "101_qatar_cica_2022.txt": "en",
    "102_qatar_doha_2024.txt": "en",
    "103_taliban_railway_2025.txt": "en",
    "104_herat_railway.txt": "en",
    "105_kabul_delegation_2021.txt": "en",
    "106_ocs_astana_2024.txt": "fr",
    "107_ocs_tianjin_2025.txt": "fr",
    "108_maroc_rabat_2025.txt": "fr",
    "109_maroc_visas_2024.txt": "fr",
    "110_uae_suroor_2023.txt": "en",
    "111_foreign_policy_2026.txt": "en",
    "112_russia_interview_2025.txt": "en",
    "113_oae_abudhabi_ru.txt": "ru",
}
# Articles without any date (header, first sentence, file name or text): no date question required.
UNDATED = {"003_0f37ec3c77dfb273.txt", "104_herat_railway.txt", "113_oae_abudhabi_ru.txt"}

QUOTA_SAME = 3
QUOTA_CROSS = 3
QUOTA_CROSS_ONLY = 6  # an article in a language the bot does not speak: cross questions only
QUOTA_NAMES = 2
QUOTA_NONE_NAMED = 35


def normalise(text: str) -> str:
    """The indexer's normalisation (index/articles.py: normalise), lower-cased as citebot eval compares."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "").replace("\u00a0", " ").replace("\u202f", " ")
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).lower()


def load_articles(dirs: list[Path], errors: list[str]) -> dict[str, list[str]]:
    """File name -> normalised lines. A string spanning a line break is not found, on purpose."""
    articles: dict[str, list[str]] = {}
    for folder in dirs:
        if not folder.is_dir():
            errors.append(f"corpus folder not found: {folder}")
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.name == "metadata.toml":
                continue
            if path.name in articles:
                errors.append(f"two articles named {path.name}")
            articles[path.name] = normalise(path.read_text(encoding="utf-8")).split("\n")
    return articles


def occurs(needle: str, lines: list[str]) -> bool:
    wanted = normalise(needle)
    return any(wanted in line for line in lines)


def starts_a_word(form: str, lines: list[str]) -> bool:
    pattern = re.compile(r"\b" + re.escape(normalise(form)))
    return any(pattern.search(line) for line in lines)


def loose(question: str) -> str:
    return re.sub(r"[\W_]+", " ", normalise(question)).strip()


def dev_questions(dirs: list[Path]) -> set[str]:
    found: set[str] = set()
    for folder in dirs:
        for path in (folder.parent / "dev.jsonl", folder.parent / "dev_real.jsonl"):
            if path.is_file():
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        found.add(loose(json.loads(line)["q"]))
    return found


def check_row(row: object, number: int, articles: dict[str, list[str]], errors: list[str]) -> dict | None:
    where = f"line {number}"
    if not isinstance(row, dict):
        errors.append(f"{where}: not a JSON object")
        return None
    where = f"line {number} ({row.get('id')})"
    missing = FIELDS - row.keys()
    unknown = row.keys() - FIELDS - OPTIONAL
    if missing or unknown:
        errors.append(f"{where}: missing fields {sorted(missing)}, unknown fields {sorted(unknown)}")
        return None
    if not isinstance(row["q"], str) or not row["q"].strip():
        errors.append(f"{where}: empty question")
    if row["lang"] not in LANGS:
        errors.append(f"{where}: lang {row['lang']!r} not in {LANGS}")
    if row["kind"] not in KINDS:
        errors.append(f"{where}: kind {row['kind']!r} not in {KINDS}")
    if row["split"] not in SPLITS:
        errors.append(f"{where}: split {row['split']!r} not in {SPLITS}")
    answers = row["any"]
    if not isinstance(answers, list) or not all(isinstance(s, str) and s.strip() for s in answers):
        errors.append(f"{where}: any must be a list of non-empty strings")
        return None
    if row["kind"] == "none":
        check_none(row, where, articles, errors)
    else:
        check_answerable(row, where, articles, errors)
    return row


def check_none(row: dict, where: str, articles: dict[str, list[str]], errors: list[str]) -> None:
    if row["doc"] is not None or row["any"] or "also" in row:
        errors.append(f"{where}: a none question has doc null, any [] and no also")
    if row["aspect"] not in NONE_ASPECTS:
        errors.append(f"{where}: aspect {row['aspect']!r} of a none question not in {NONE_ASPECTS}")
    absent = row.get("absent")
    if row["aspect"] == "none_named":
        if not isinstance(absent, list) or not absent or not all(isinstance(s, str) and s for s in absent):
            errors.append(f"{where}: a none_named question lists its absent name forms in absent")
            return
        for form in absent:
            found = sorted(name for name, lines in articles.items() if starts_a_word(form, lines))
            if found:
                errors.append(f"{where}: absent name {form!r} occurs in {', '.join(found)}")
    elif absent is not None:
        errors.append(f"{where}: absent only on none_named questions")


def check_answerable(row: dict, where: str, articles: dict[str, list[str]], errors: list[str]) -> None:
    doc = row["doc"]
    if doc not in articles:
        errors.append(f"{where}: doc {doc!r} is not an article of the corpus")
        return
    if doc not in ARTICLE_LANG:
        errors.append(f"{where}: no language known for {doc} (add it to ARTICLE_LANG)")
        return
    also = row.get("also", [])
    if not isinstance(also, list) or any(a not in articles or a == doc for a in also):
        errors.append(f"{where}: also must list other articles of the corpus")
        return
    if not row["any"]:
        errors.append(f"{where}: an answerable question needs at least one any string")
    if (row["kind"] == "date") != (row["aspect"] == "date"):
        errors.append(f"{where}: kind date goes with aspect date and only with it")
    if row["aspect"] not in ANSWER_ASPECTS:
        errors.append(f"{where}: aspect {row['aspect']!r} not in {ANSWER_ASPECTS}")
    article_lang = ARTICLE_LANG[doc]
    if row["kind"] == "same" and row["lang"] != article_lang:
        errors.append(f"{where}: kind same but the question is {row['lang']}, the article {article_lang}")
    if row["kind"] == "cross" and row["lang"] == article_lang:
        errors.append(f"{where}: kind cross but the question and the article are both {article_lang}")
    allowed = {doc, *also}
    for answer in row["any"]:
        found = {name for name, lines in articles.items() if occurs(answer, lines)}
        if not found & allowed:
            errors.append(f"{where}: {answer!r} occurs in neither {doc} nor its also articles (within one line)")
        elif found - allowed:
            errors.append(f"{where}: {answer!r} also occurs in {', '.join(sorted(found - allowed))}")
    if not any(occurs(answer, articles[doc]) for answer in row["any"]):
        errors.append(f"{where}: no any string occurs in doc {doc}")
    for other in also:
        if not any(occurs(answer, articles[other]) for answer in row["any"]):
            errors.append(f"{where}: no any string occurs in the also article {other}")


def check_split(rows: list[dict], errors: list[str]) -> None:
    """Per doc (none questions together), in file order: positions 3, 6, 9... are heldout."""
    seen: Counter[str | None] = Counter()
    for row in rows:
        seen[row["doc"]] += 1
        expected = "heldout" if seen[row["doc"]] % 3 == 0 else "tune"
        if row["split"] != expected:
            errors.append(f"{row['id']}: split {row['split']}, the rule gives {expected}")


def check_quota(rows: list[dict], articles: dict[str, list[str]], errors: list[str]) -> None:
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row["doc"]:
            by_doc[row["doc"]].append(row)
    for doc in sorted(articles):
        members = by_doc.get(doc, [])
        kinds = Counter(r["kind"] for r in members)
        names = sum(r["aspect"] in NAME_ASPECTS for r in members)
        if ARTICLE_LANG.get(doc) in LANGS:
            if kinds["same"] < QUOTA_SAME or kinds["cross"] < QUOTA_CROSS:
                errors.append(f"{doc}: {kinds['same']} same / {kinds['cross']} cross questions, quota 3 / 3")
        elif kinds["cross"] < QUOTA_CROSS_ONLY:
            errors.append(f"{doc}: {kinds['cross']} cross questions, quota {QUOTA_CROSS_ONLY}")
        if names < QUOTA_NAMES:
            errors.append(f"{doc}: {names} acronym/translated_name/demonym questions, quota {QUOTA_NAMES}")
        if doc not in UNDATED and kinds["date"] < 1:
            errors.append(f"{doc}: a dated article without a date question")
    named = sum(r["aspect"] == "none_named" for r in rows)
    if named < QUOTA_NONE_NAMED:
        errors.append(f"{named} none_named questions, quota {QUOTA_NONE_NAMED}")


def check_chunks(rows: list[dict], dirs: list[Path], errors: list[str]) -> None:
    """Every any string inside one passage of doc or also, as the project's own chunker cuts them."""
    sys.path.insert(0, str(ROOT))
    for package in ("index.ingest", "index"):  # the modules' place has moved once; try both
        try:
            chunk_documents = importlib.import_module(f"{package}.chunking").chunk_documents
            load_corpus = importlib.import_module(f"{package}.corpus").load_corpus
            break
        except (ImportError, AttributeError):
            continue
    else:
        errors.append("--chunks: cannot import the project's chunking and corpus modules (run with .venv/bin/python)")
        return
    passages: dict[str, list[str]] = defaultdict(list)
    for folder in dirs:
        for chunk in chunk_documents(load_corpus(folder, 2_000_000).documents):
            passages[Path(chunk.source).name].append(chunk.text.lower())
    for row in rows:
        if row["kind"] == "none":
            continue
        for doc in (row["doc"], *row.get("also", [])):
            texts = passages.get(doc, [])
            hits = [a for a in row["any"] if any(a.lower() in text for text in texts)]
            if not hits:
                errors.append(f"{row['id']}: no any string lies inside one indexed passage of {doc}")


def table(title: str, rows: list[dict], key: str, columns: tuple[str, ...] = SPLITS, by: str = "split") -> None:
    counts = Counter((r[key], r[by]) for r in rows)
    labels = sorted({r[key] or "(none)" for r in rows} if key != "doc" else {r[key] for r in rows if r[key]})
    width = max(len(title), *(len(label) for label in labels))
    print(f"\n{title:<{width}}  " + "  ".join(f"{c:>8}" for c in columns) + "     total")
    for label in labels:
        cells = [counts[(label, c)] for c in columns]
        print(f"{label:<{width}}  " + "  ".join(f"{n:>8}" for n in cells) + f"  {sum(cells):>8}")
    totals = [sum(counts[(label, c)] for label in labels) for c in columns]
    print(f"{'total':<{width}}  " + "  ".join(f"{n:>8}" for n in totals) + f"  {sum(totals):>8}")


def report(rows: list[dict]) -> None:
    print(f"{len(rows)} questions, {sum(r['kind'] != 'none' for r in rows)} answerable")
    table("kind", rows, "kind")
    table("aspect", rows, "aspect")
    table("lang", rows, "lang")
    table("kind", rows, "kind", LANGS, "lang")
    answerable = [r for r in rows if r["doc"]]
    table("article", answerable, "doc", KINDS[:3], "kind")
    table("article", answerable, "doc")
    with_also = [r["id"] for r in rows if r.get("also")]
    print(f"\nquestions with also: {len(with_also)} ({', '.join(with_also)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, help=f"article folders (default: {' '.join(DEFAULT_DIRS)})")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="question file (default: kz.jsonl)")
    parser.add_argument("--chunks", action="store_true", help="also check answer strings against indexed passages")
    args = parser.parse_args()
    dirs = args.dirs or [ROOT / d for d in DEFAULT_DIRS]

    errors: list[str] = []
    articles = load_articles(dirs, errors)
    for name in sorted(articles.keys() - ARTICLE_LANG.keys()):
        errors.append(f"{name}: article without a language in ARTICLE_LANG")
    rows: list[dict] = []
    for number, line in enumerate(args.file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            errors.append(f"line {number}: blank line")
            continue
        try:
            parsed = json.loads(line)
        except ValueError as error:
            errors.append(f"line {number}: not JSON ({error})")
            continue
        row = check_row(parsed, number, articles, errors)
        if row is not None:
            rows.append(row)

    ids = [r["id"] for r in rows]
    if ids != [f"q{n:03d}" for n in range(1, len(ids) + 1)]:
        errors.append("ids are not q001, q002... in file order (or repeat)")
    duplicates = [q for q, n in Counter(loose(r["q"]) for r in rows).items() if n > 1]
    errors.extend(f"question asked twice: {q!r}" for q in duplicates)
    dev = dev_questions(dirs)
    errors.extend(f"{r['id']}: repeats a dev question" for r in rows if loose(r["q"]) in dev)
    check_split(rows, errors)
    check_quota(rows, articles, errors)
    if args.chunks:
        check_chunks(rows, dirs, errors)

    in_question = [r["id"] for r in rows if any(normalise(a) in normalise(r["q"]) for a in r["any"])]
    report(rows)
    print(f"questions containing one of their own any strings (allowed, kept rare): {len(in_question)} {in_question}")
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for error in errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    checked = ", passages checked" if args.chunks else ""
    print(f"\nOK: {args.file.name}, {len(rows)} questions, {len(articles)} articles{checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
