"""Inline mode against the Bot API emulator: the real Application and index, queries typed as in any chat."""

from __future__ import annotations

import asyncio
import logging
import re

from bot import render
from bot.handlers.inline import MIN_QUERY_CHARS
from index.build.pipeline import build_index
from index.store.directory import IndexUnavailable
from tests.bot.test_bot_render import hit
from tests.bot_api_emulator import parse_html, telegram_length
from tests.conftest import bot_settings, running_bot

QATAR = "What did Kazakhstan say about Qatar?"
URUGUAY = """---
title: Kazakhstan and Uruguay sign a water agreement
date: 2026-03-03
---

Kazakhstan and Uruguay signed an agreement on water management and irrigation in Montevideo on Tuesday.
The two foreign ministers said the agreement opens joint projects in desalination.
"""
TALIBANS = "Qu'a décidé le Kazakhstan au sujet des talibans ?"
OFF_CORPUS = "What is Kazakhstan's position on Venezuela?"
GROUP = -1001


def count_searches(application) -> list[str]:
    """Wrap the live service's search (the real one still runs) to record each query it searches."""
    service = application.bot_data.service
    searched: list[str] = []
    real = service.search

    def search(question: str, k: int, *lang):
        searched.append(question)
        return real(question, k, *lang)

    service.search = search
    return searched


async def ask_inline(emulator, user: dict, query: str):
    answer = await emulator.inline_answer(emulator.inline_query(user, query))
    assert answer.ok, answer.result
    return answer


async def test_inline_query_lists_cited_passages(bot, emulator):
    answer = await ask_inline(emulator, emulator.user(1), QATAR)
    results = answer.params["results"]
    assert 1 < len(results) <= 50
    assert answer.params["is_personal"] is False and answer.params["cache_time"] == 60
    first = results[0]
    [article] = [row for row in bot.bot_data.service.sources() if row.source == "001_c0a4decbc27cb472.txt"]
    assert first["title"].startswith(article.title[:60]) and first["title"].endswith(" · 2026-03-02")
    assert "Qatar" in first["description"] and "\n" not in first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert content["message_text"].startswith(f"🔎 <i>{QATAR}</i>\n\n")
    assert "<code>001_c0a4decbc27cb472.txt</code>" in content["message_text"]
    assert re.search(r"<b>[^<]*Qatar[^<]*</b>", content["message_text"]), "the answering sentence is in bold"
    for result in results:
        assert re.fullmatch(r".+ · (\d{4}-\d{2}-\d{2}|\w+ \d{4}|\d{4}|date unknown)", result["title"])
        assert len(result["id"].encode()) <= 64
    # Choosing a result posts its message in a group, as Telegram checks it (the emulator raises if not).
    posted = emulator.choose(answer.params["inline_query_id"], first["id"], GROUP)
    assert posted["via_bot"]["username"] == "citebot_test_bot"
    assert "Qatar" in posted["text"] and "001_c0a4decbc27cb472.txt" in posted["text"]
    assert "<" not in posted["text"], "the HTML was parsed, not shown"


async def test_french_inline_query_gets_french_texts(bot, emulator):
    answer = await ask_inline(emulator, emulator.user(2, language_code="en"), TALIBANS)
    first = answer.params["results"][0]
    assert first["title"].endswith(" · date inconnue")
    assert "003_0f37ec3c77dfb273.txt" in first["input_message_content"]["message_text"]


async def test_short_query_gets_a_hint_without_searching(bot, emulator):
    searched = count_searches(bot)
    for query, language, title in (("", "en", "Type a question…"), ("ab", "fr", "Tapez une question…")):
        answer = await ask_inline(emulator, emulator.user(3, language_code=language), query)
        [hint] = answer.params["results"]
        assert hint["title"] == title and str(MIN_QUERY_CHARS) in hint["description"]
        assert answer.params["is_personal"] is True, "a hint in the user's language must not be shared"
        assert "@citebot_test_bot" in parse_html(hint["input_message_content"]["message_text"])
    assert searched == []


async def test_off_corpus_query_gets_one_nothing_found_result(bot, emulator):
    answer = await ask_inline(emulator, emulator.user(4), OFF_CORPUS)
    [nothing] = answer.params["results"]
    assert nothing["title"] == "Nothing found"
    message = parse_html(nothing["input_message_content"]["message_text"])
    # Like a private answer, it names what no article mentions.
    assert message.startswith(f"🔎 {OFF_CORPUS}") and "No indexed article mentions Venezuela." in message
    assert nothing["description"] == "No indexed article mentions Venezuela."
    answer = await ask_inline(emulator, emulator.user(4, language_code="fr"), "Quelle est la politique du Kazakhstan ?")
    if answer.params["results"][0]["id"] == "nothing":
        raise AssertionError("an in-corpus question must not get the notice")
    answer = await ask_inline(emulator, emulator.user(4), "Who won the football match yesterday?")
    [nothing] = answer.params["results"]
    assert nothing["description"] == "No passage in the indexed articles answers this question."


async def test_a_rebuild_is_seen_by_the_next_inline_query(emulator, corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder, 2_000_000)
    question = "What did Kazakhstan and Uruguay sign?"
    async with running_bot(bot_settings(emulator.base_url, index_dir, corpus), embedder):
        before = await ask_inline(emulator, emulator.user(10), question)
        assert before.params["results"][0]["description"] == "No indexed article mentions Uruguay."
        (corpus / "uruguay.md").write_text(URUGUAY, encoding="utf-8")
        build_index(corpus, index_dir, embedder, 2_000_000)
        # Well within the 60 s the cache holds an answer: the new index is searched all the same.
        after = await ask_inline(emulator, emulator.user(11), question)
        first = after.params["results"][0]
        assert "uruguay.md" in first["input_message_content"]["message_text"], first


async def test_identical_queries_are_searched_once(bot, emulator):
    searched = count_searches(bot)
    # Two users typing the same question at the same moment share the search under way...
    first, second = emulator.inline_query(emulator.user(5), QATAR), emulator.inline_query(emulator.user(6), QATAR)
    answers = [await emulator.inline_answer(first), await emulator.inline_answer(second)]
    # ... and a later one, spelled differently, is served from the cache.
    answers.append(await ask_inline(emulator, emulator.user(7), "  what did kazakhstan SAY about qatar?"))
    assert searched == [QATAR]
    ids = [[result["id"] for result in answer.params["results"]] for answer in answers]
    assert ids[0] == ids[1] == ids[2]
    # The question on top of each message is the asker's own, not the cached one's.
    assert (
        "what did kazakhstan SAY about qatar?"
        in answers[2].params["results"][0]["input_message_content"]["message_text"]
    )
    await ask_inline(emulator, emulator.user(5), TALIBANS)
    assert searched == [QATAR, TALIBANS]


async def test_unavailable_index_and_failures_are_answered(bot, emulator, caplog):
    service = bot.bot_data.service

    def unavailable(question: str, k: int, *lang):
        raise IndexUnavailable("no index")

    service.search = unavailable
    answer = await ask_inline(emulator, emulator.user(8), QATAR)
    [notice] = answer.params["results"]
    assert notice["title"] == "Index unavailable" and answer.params["cache_time"] == 0

    def broken(question: str, k: int, *lang):
        raise RuntimeError("disk on fire")

    service.search = broken
    with caplog.at_level(logging.ERROR):
        answer = await ask_inline(emulator, emulator.user(8, language_code="fr"), "Qu'a dit le Kazakhstan ?")
        for _ in range(50):
            if "error while handling an update" in caplog.text:
                break
            await asyncio.sleep(0.05)
    assert answer.params["results"] == [] and answer.params["cache_time"] == 0
    assert "réessayez" in answer.params["button"]["text"]
    assert "disk on fire" in caplog.text, "the error handler logged the traceback"
    # A failure is not cached: the same query searches again once the index is back.
    del service.search
    answer = await ask_inline(emulator, emulator.user(8), QATAR)
    assert len(answer.params["results"]) > 1


async def test_only_searches_count_against_the_inline_quota(emulator, seed_index, embedder):
    settings = bot_settings(emulator.base_url, seed_index, QUESTIONS_PER_MINUTE=1)  # 3 inline searches a minute
    async with running_bot(settings, embedder):
        user = emulator.user(9)
        for query in (QATAR, TALIBANS, OFF_CORPUS):
            await ask_inline(emulator, user, query)
        refused = await ask_inline(emulator, user, "Did Tokayev call for restraint in the Middle East?")
        assert refused.params["results"] == [] and "Too many searches" in refused.params["button"]["text"]
        cached = await ask_inline(emulator, user, QATAR)
        assert len(cached.params["results"]) > 1, "a cached query costs nothing"
        other = await ask_inline(emulator, emulator.user(10), "Did Tokayev call for restraint in the Middle East?")
        assert len(other.params["results"]) > 1, "the quota is per user"


def test_posted_passage_fits_telegram_even_when_huge():
    sentence = "Kazakhstan & Qatar <agree> on a “long” statement with émojis 🔎. "
    huge = hit(
        sentence * 400, ((0, len(sentence) * 150),), highlight=sentence * 150, url="https://example.org/?a=1&b=2"
    )
    message = render.single_passage("q & <q>?" * 30, huge, "fr")
    visible = parse_html(message)  # raises on malformed markup
    assert telegram_length(message) <= 4096 and "<b>" in message and "a&b<c>.txt" in visible
    title, description = render.dated_title(huge, "fr"), render.plain_highlight(huge)
    assert title.endswith(" · date inconnue") and len(description) <= 200 and "\n" not in description
