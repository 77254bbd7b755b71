"""Answer HTML: escaped, well nested, never over Telegram's 4096 characters; and the emulator's checks."""

from __future__ import annotations

from datetime import date

import pytest

from bot import render
from bot.answers import parse_button
from bot.texts import pick_language, question_language
from index.models import Hit
from tests.bot_api_emulator import BadRequest, parse_html, telegram_length
from tests.conftest import TOKEN


def hit(text: str, spans: tuple[tuple[int, int], ...] = (), **fields: object) -> Hit:
    values = {
        "rank": 1,
        "score": 1.0,
        "source": "a&b<c>.txt",
        "title": "Title <with> & marks",
        "date": None,
        "url": None,
        "lang": "en",
        "text": text,
        "highlight": "",
        "doc_id": "d",
        "start": 0,
        "end": len(text),
        "highlight_spans": spans,
    }
    values.update(fields)
    return Hit(**values)  # type: ignore[arg-type]


def test_the_emulator_rejects_what_telegram_rejects():
    assert parse_html("<b>a &amp; b</b> <i>c</i>") == "a & b c"
    for bad in ("<b>open", "a < b", "a & b", "<script>x</script>", "<b><i>x</b></i>", "<a>no href</a>"):
        with pytest.raises(BadRequest):
            parse_html(bad)


def test_answer_escapes_corpus_text_and_keeps_tags_well_formed():
    text = "Before <b>&</b> text. The tariff rose to 5 & 6 <tenge>. After & more."
    start = text.index("The tariff")
    answer = render.answer("Why <b>?", [hit(text, ((start, text.index(">.") + 2),))], "en")
    visible = parse_html(answer)  # raises on any malformed markup
    assert "The tariff rose to 5 & 6 <tenge>." in visible
    assert "<b>The tariff rose to 5 &amp; 6 &lt;tenge&gt;.</b>" in answer
    assert "Why <b>?" in visible and "a&b<c>.txt" in visible and "date unknown" in visible


def test_an_answer_under_a_caveat_says_first_which_names_no_article_writes():
    hits = [hit("Kazakhstan supports a two-state solution.")]
    english = parse_html(render.answer("What about the <Youth Council>?", hits, "en", unmatched=("<Youth Council>",)))
    assert "No article names “<Youth Council>” as such; the closest passages:" in english
    assert english.index("as such") < english.index("two-state")
    french = parse_html(render.answer("Et le Conseil ?", hits, "fr", unmatched=("Conseil", "ODD")))
    assert "Aucun article ne nomme «\u00a0Conseil\u00a0», «\u00a0ODD\u00a0» tel quel ; voici les passages" in french
    assert "as such" not in parse_html(render.answer("What about Qatar?", hits, "en"))


def test_answer_never_exceeds_4096_characters():
    sentence = "Kazakhstan & Qatar <agree> on a “long” statement with émojis 🔎. "
    long_text = sentence * 400
    spans = ((0, len(sentence) * 150),)  # a huge highlight
    hits = [hit(long_text, spans, url="https://example.org/a?b=1&c=2") for _ in range(5)]
    answer = render.answer("q" * 900, hits, "fr", period=(date(2026, 3, 1), date(2026, 3, 31)))
    assert telegram_length(answer) <= 4096
    visible = parse_html(answer)
    assert visible.count("date inconnue") == 5 and 'href="https://example.org/a?b=1&amp;c=2"' in answer


def test_full_text_is_split_at_boundaries_without_losing_text():
    paragraphs = [f"Paragraph {n}: " + "Astana & Doha <talk> again. " * 40 for n in range(12)]
    text = "\n\n".join(paragraphs)
    parts = render.full_text(hit(text), 2, "en")
    assert len(parts) > 1
    assert all(telegram_length(part) <= 4096 for part in parts)
    visible = [parse_html(part) for part in parts]
    assert visible[0].startswith("Full text of passage 2")
    joined = " ".join(v for v in visible)
    assert joined.split().count("Paragraph") == 12 and " ".join(text.split()) in " ".join(joined.split())


def test_buttons_and_languages():
    assert parse_button("more:abcdEF_-:3").number == 3  # type: ignore[union-attr]
    for forged in ("more:short:1", "delete:abcdEF_-:1", "more:abcdEF_-:-1", "more:abcdEF_-:1:2", None, ""):
        assert parse_button(forged) is None
    assert pick_language(question_language("Quelle est la position du Kazakhstan sur le Maroc ?", 1000), "en") == "fr"
    assert pick_language(question_language("What did Kazakhstan say about Qatar?", 1000), "fr") == "en"
    assert pick_language(question_language("OCS", 1000), "fr-FR") == "fr" and pick_language(None, None) == "en"


async def test_the_emulator_answers_like_the_bot_api_over_http(emulator):
    import aiohttp

    url = f"{emulator.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as session:
        for text, parse_mode, status, description in (
            ("x" * 4097, "", 400, "message is too long"),
            ("<b>x</b>" + "y" * 4096, "HTML", 400, "message is too long"),
            ("<b>x</b>" + "y" * 4095, "HTML", 200, None),
            ("<b>unclosed", "HTML", 400, "can't parse entities"),
            ("   ", "", 400, "message text is empty"),
        ):
            async with session.post(
                f"{url}/sendMessage", data={"chat_id": 1, "text": text, "parse_mode": parse_mode}
            ) as r:
                body = await r.json()
                assert r.status == status and (description is None or description in body["description"]), body
        async with session.post(f"{emulator.base_url}wrong:token/getMe") as r:
            assert r.status == 401
