"""The name index: acronyms and names across English, French and Russian, and names no passage uses."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from babel import Locale
from rapidfuzz.distance import Levenshtein

from bench.spelling import calibrate, least_cost
from index.build.name_tables import NameTables, mine_acronyms
from index.search.names import FUZZY_THRESHOLD, NameIndex
from index.search.question import read_question
from index.text.name_forms import name_key, skeleton_key
from index.text.spelling import ALIKE_ZIPF, spelled_alike
from index.text.terms import terms

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared" / "eval"
CORPUS_REAL = SHARED / "corpus-real"
NEW_QUESTIONS = ROOT / "tests" / "data" / "names_questions.jsonl"


def _read(*folders: Path) -> list[tuple[str, str]]:
    return [(path.read_text(encoding="utf-8"), "") for folder in folders for path in sorted(folder.glob("*.txt"))]


def _questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def seeds_names() -> NameIndex:
    return NameIndex.build(_read(SEEDS))


@pytest.fixture(scope="module")
def all_names() -> NameIndex:
    if not CORPUS_REAL.is_dir():
        pytest.skip("shared corpus-real not present")
    return NameIndex.build(_read(SEEDS, CORPUS_REAL))


def test_answerable_questions_name_nothing_unknown(seeds_names: NameIndex, all_names: NameIndex) -> None:
    wrong = []
    for path, index in ((SHARED / "dev.jsonl", seeds_names), (SHARED / "dev_real.jsonl", all_names)):
        for item in _questions(path):
            if item["kind"] != "none" and index.unknown_names(item["q"]):
                wrong.append((item["id"], index.unknown_names(item["q"])))
    assert wrong == []


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("What is Kazakhstan's position on Venezuela?", ["Venezuela"]),
        ("Tokaïev s'est-il rendu en Argentine ?", ["Argentine"]),
        ("What did Kazakhstan say about Brazil's coffee exports?", ["Brazil"]),
        ("How do I install Python on Windows?", ["Python", "Windows"]),
    ],
)
def test_names_absent_from_the_corpus_are_unknown(all_names: NameIndex, question: str, unknown: list[str]) -> None:
    assert all_names.unknown_names(question) == unknown


def test_new_questions_generalise(seeds_names: NameIndex, all_names: NameIndex) -> None:
    """20 questions written apart from the dev sets: names in another language's form, absent names."""
    indexes = {"seeds": seeds_names, "all": all_names}
    wrong = []
    for item in _questions(NEW_QUESTIONS):
        expansion = indexes[item["corpus"]].expand(item["q"])
        missing = [form for form in item["forms"] if form.lower() not in expansion.text.lower()]
        if expansion.unknown != item["unknown"] or missing:
            wrong.append((item["id"], expansion.unknown, missing))
    assert len(_questions(NEW_QUESTIONS)) == 20
    assert wrong == []


@pytest.mark.parametrize(
    ("question", "forms"),
    [
        ("What is the SCO?", ["OCS", "Organisation de coopération de Shanghai"]),
        ("Where is the Al-Watan palace?", ["Ватан"]),
        ("Quel est le rôle de l'OCS ?", ["Organisation de coopération de Shanghai"]),
        ("What does Kazakhstan think of Morocco?", ["Maroc"]),
        ("What did the UAE say?", ["Émirats arabes unis", "United Arab Emirates"]),
        ("Qu'a dit la Russie ?", ["Russia"]),
        ("Did the CSTO meet?", ["OTSC", "Organisation du Traité de sécurité collective"]),
    ],
)
def test_expand_gives_the_corpus_forms_of_a_name(all_names: NameIndex, question: str, forms: list[str]) -> None:
    expansion = all_names.expand(question)
    # Case aside: the lexical and latent-term indexes lower-case, and the corpus writes both.
    assert [form for form in forms if form.lower() not in expansion.text.lower()] == []
    assert expansion.unknown == []


def test_expand_leaves_out_the_question_own_form_and_unattested_forms(seeds_names: NameIndex) -> None:
    text = seeds_names.expand("What did the UAE say?").text
    assert "Émirats arabes unis" in text
    assert "UAE" not in text.split()
    # No seed writes "EAU": a form the corpus never uses would only add noise to the query.
    assert "EAU" not in text.split()


def test_acronyms_are_mined_both_ways() -> None:
    found = mine_acronyms(
        "Le sommet de l'Organisation de coopération de Shanghai (OCS) s'est tenu à Astana. "
        "Tokayev spoke with the United Arab Emirates (UAE) President. "
        "L'OTSC (Organisation du traité de sécurité collective) se réunit. "
        "The Conference on Interaction and Confidence Building Measures in Asia (CICA) met. "
        "Photo (Y.Mannan/Le360), in 2024 (2024), as said (see above), the UN (ONU) and KAZ (Kazakhstan Today)."
    )
    assert found == [
        ("OCS", "Organisation de coopération de Shanghai"),
        ("UAE", "United Arab Emirates"),
        ("CICA", "Conference on Interaction and Confidence Building Measures in Asia"),
        ("OTSC", "Organisation du traité de sécurité collective"),
        ("KAZ", "Kazakhstan Today"),
    ]


def test_an_acronym_the_corpus_defines_expands_and_is_known() -> None:
    names = NameIndex.build([("The Eurasian Development Bank (EDB) will fund the road.", "en")])
    expansion = names.expand("What will the EDB fund?")
    assert "Eurasian Development Bank" in expansion.text
    assert expansion.unknown == []
    assert NameIndex.build([("The bank will fund the road.", "en")]).unknown_names("What will the EDB fund?") == ["EDB"]


def test_sentence_starts_months_weekdays_and_small_words_are_not_names() -> None:
    names = NameIndex.build([("Kazakhstan signed an agreement on water with its neighbours.", "en")])
    for question in (
        "What happened in September?",
        "Explain the agreement.",
        "Quel accord a été signé en avril ?",
        "Did Kazakhstan sign on Monday or on Tuesday?",
        "un accord sur l'eau",  # "un" and "eau" are words, the acronyms UN and EAU are capitals
        "How do I read it? Where is it?",
    ):
        assert names.unknown_names(question) == [], question
    assert names.unknown_names("Venezuela signed?") == ["Venezuela"]
    assert names.unknown_names("kazakhstan venezuela water") == ["venezuela"]
    assert names.unknown_names("What did Nelson Mandela sign?") == ["Nelson Mandela"]


def test_titles_are_names_only_when_the_corpus_never_uses_them(seeds_names: NameIndex) -> None:
    assert seeds_names.unknown_names("Did the Emir speak to the President in March?") == []
    assert seeds_names.unknown_names("Quel est le rôle du Président du Kazakhstan ?") == []


def test_places_match_through_derived_and_inflected_forms(all_names: NameIndex) -> None:
    assert all_names.unknown_names("What did the Moroccan minister sign?") == []
    assert all_names.unknown_names("Did the Brazilian minister visit?") == ["Brazilian"]
    # Only the Russian article names Abu Dhabi: Абу-Даби, folded to "abu dabi".
    assert all_names.unknown_names("What was signed in Abu Dhabi?") == []
    # CLDR says "Western Sahara", the corpus "Sahara": the generic "Western" is not needed.
    assert all_names.unknown_names("What about Western Sahara?") == []
    assert all_names.unknown_names("What about New Zealand?") == ["New Zealand"]


def test_fuzzy_threshold_keeps_transliterations_and_parts_distinct_names() -> None:
    variants = [
        ("Tokayev", "Tokaïev"), ("Tokayev", "Tokaev"), ("Nurtleu", "Nurtleou"), ("Bahrain", "Bahreïn"),
        ("Watan", "Vatan"), ("Dhabi", "Dabi"), ("Putin", "Poutine"), ("Zhumangarin", "Joumangarine"),
        ("Muttaqi", "Mouttaki"), ("Kassym", "Kasym"), ("Jomart", "Zhomart"), ("Mohamed", "Mukhammed"),
        ("Nahyan", "Nakhaian"), ("Tashkent", "Tachkent"), ("Bishkek", "Bichkek"),
    ]  # fmt: skip

    def similarity(a: str, b: str) -> float:
        return Levenshtein.normalized_similarity(skeleton_key(name_key(a)), skeleton_key(name_key(b)))

    assert [pair for pair in variants if similarity(*pair) < FUZZY_THRESHOLD - 1e-9] == []
    # Distinct names: the words of different CLDR country names, in English and French.
    words: dict[str, set[str]] = {}
    for lang in ("en", "fr"):
        for code, name in Locale(lang).territories.items():
            for word in name.replace("(", " ").replace(")", " ").split():
                if len(name_key(word)) >= 5:
                    words.setdefault(skeleton_key(name_key(word)), set()).add(code)
    pairs = [(a, b) for a, b in itertools.combinations(words, 2) if not words[a] & words[b]]
    close = [pair for pair in pairs if Levenshtein.normalized_similarity(*pair) >= FUZZY_THRESHOLD - 1e-9]
    assert len(pairs) > 50_000
    assert len(close) / len(pairs) < 0.0005


def test_json_round_trip_answers_the_same(all_names: NameIndex) -> None:
    restored = NameIndex(NameTables.from_json(json.loads(json.dumps(all_names.tables.to_json()))))
    for item in _questions(SHARED / "dev_real.jsonl") + _questions(NEW_QUESTIONS):
        assert restored.expand(item["q"]) == all_names.expand(item["q"])
    stale = {**all_names.tables.to_json(), "version": 0}
    with pytest.raises(ValueError, match="rebuild the index"):
        NameTables.from_json(stale)


def test_a_name_written_one_way_in_most_texts_is_not_expanded(all_names: NameIndex) -> None:
    """Kazakhstan is in every article: its Russian form would only pull up the one Russian article."""
    expansion = all_names.expand("What did Kazakhstan say about the UN?")
    assert [mention.topical for mention in expansion.mentions] == [True, False]
    assert "Казахстан" not in expansion.text
    assert "ONU" in expansion.text
    # Tokayev in the English articles, Tokaïev in the French ones: each form gives its language a chance.
    tokayev = all_names.expand("What did Tokayev say?")
    assert not tokayev.mentions[0].topical and "Tokaïev" in tokayev.text
    # One topical name does not silence the other names of its run.
    assert all_names.expand("Que pense le Kazakhstan de Poutine ?").text == "Putin"


def test_the_search_reads_names_through_its_name_source(all_names: NameIndex) -> None:
    question = read_question("What is the SCO?", all_names)
    assert question.alternatives["SCO"][:2] == ["OCS", "Organisation de Coopération de Shanghai"]
    assert "OCS" in question.expansion
    # The French articles index "OCS" as "oc" (stemmed): the expansion must reach that term.
    assert set(terms("l'OCS de Shanghai", "fr")) <= set(question.terms)
    assert read_question("What is Kazakhstan's position on Venezuela?", all_names).unknown_names == ("Venezuela",)


def test_names_written_alike_and_translated_words_are_told_apart():
    assert all(spelled_alike(word) for word in ("Erdogan", "Caracas", "Merkel", "Mirziyoyev", "Gaza"))
    assert not any(spelled_alike(word) for word in ("Security", "Council", "Kingdom", "Sustainable", "Moscou", "Saudi"))


def test_the_alike_margin_is_the_least_cost_one_on_cldr_country_names():
    rows = calibrate()
    assert least_cost(rows) == ALIKE_ZIPF
    assert next(row for row in rows if row["margin"] == ALIKE_ZIPF)["accuracy"] >= 0.85


def test_an_organisation_acronym_meets_the_other_languages_acronym_in_any_region():
    article = (
        "Les chefs d'État de la CEDEAO se sont réunis à Abuja. La Communauté économique des États de "
        "l'Afrique de l'Ouest a levé les sanctions."
    )
    names = NameIndex.build([(article, "fr")])
    [mention] = names.expand("What did ECOWAS decide in Abuja?").mentions[:1]
    assert mention.text == "ECOWAS" and mention.attested and "CEDEAO" in mention.forms
    assert names.unknown_names("Did the African Union send observers?") == ["African Union"]
