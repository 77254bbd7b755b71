"""The real Application against the Bot API emulator: every request and reply crosses HTTP."""

from __future__ import annotations

import asyncio
import re
import shutil
import time

import pytest

from index.build.pipeline import build_index
from tests.conftest import SEEDS, bot_settings, running_bot

QATAR = "What did Kazakhstan say about Qatar?"
BOT = "@citebot_test_bot"
GROUP = -1001


def passages(html: str) -> list[str]:
    """The answer's passage blocks, each with its citation line."""
    return re.split(r"\n\n(?=<b>\[\d+\]</b>)", html)[1:]


def buttons(call) -> list[dict]:
    return [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


async def test_private_question_gets_a_cited_answer(bot, emulator):
    emulator.send_text(1, emulator.user(1), QATAR)
    reply = await emulator.reply_to(1)
    assert reply.ok and reply.params["parse_mode"] == "HTML"
    first = passages(reply.params["text"])[0]
    assert "001_c0a4decbc27cb472.txt" in first and "2026-03-02" in first
    assert re.search(r"<b>[^<]*Qatar[^<]*</b>", first), "the answering sentence is in bold"
    assert len(passages(reply.params["text"])) == 3
    labels = [b["text"] for b in buttons(reply)]
    assert labels == ["Full text 1", "Full text 2", "Full text 3", "👍", "👎", "More ▸"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(reply))


async def test_french_question_gets_french_labels(bot, emulator):
    emulator.send_text(2, emulator.user(2, language_code="en"), "Qu'a décidé le Kazakhstan au sujet des talibans ?")
    reply = await emulator.reply_to(2)
    assert "003_0f37ec3c77dfb273.txt" in passages(reply.params["text"])[0]
    assert "date inconnue" in reply.params["text"]
    assert buttons(reply)[0]["text"] == "Texte intégral 1"
    assert buttons(reply)[-1]["text"] == "Suite ▸"


async def test_off_topic_question_says_nothing_was_found(bot, emulator):
    emulator.send_text(3, emulator.user(3), "Who won the football world cup?")
    reply = await emulator.reply_to(3)
    assert "found nothing" in reply.params["text"] and "/sources" in reply.params["text"]
    assert "<code>" not in reply.params["text"]  # no passage, no citation


async def test_a_name_no_article_mentions_is_named_in_the_reply(bot, emulator):
    emulator.send_text(3, emulator.user(3, "fr"), "Tokaïev s'est-il rendu en Argentine ?")
    reply = await emulator.reply_to(3)
    assert "Aucun article indexé ne mentionne Argentine" in reply.params["text"]


async def test_group_answers_only_when_addressed(bot, emulator):
    user = emulator.user(10)
    emulator.send_text(GROUP, user, QATAR)  # not addressed: ignored
    asked = emulator.send_text(GROUP, user, f"{BOT} {QATAR}")
    reply = await emulator.reply_to(GROUP)
    await asyncio.sleep(0.5)
    assert len(emulator.sent(GROUP)) == 1
    assert reply.params["reply_parameters"]["message_id"] == asked["message_id"]
    header = reply.params["text"].split("\n")[0]
    assert BOT not in header and "What did Kazakhstan say about Qatar?" in header


async def test_ask_command_with_bot_name_and_usage_hint(bot, emulator):
    user = emulator.user(11, language_code="fr")
    emulator.send_text(GROUP, user, f"/ask{BOT} Quel était l'objectif initial de l'OCS ?")
    reply = await emulator.reply_to(GROUP)
    assert "004_" in reply.params["text"]
    emulator.send_text(GROUP, user, "/ask")
    hint = await emulator.reply_to(GROUP, after=emulator.calls.index(reply) + 1)
    assert "Utilisation" in hint.params["text"] and "/ask" in hint.params["text"]


async def test_reply_to_the_bot_in_a_group_is_a_question(bot, emulator):
    user = emulator.user(12)
    emulator.send_text(GROUP, user, f"{BOT} {QATAR}")
    first = await emulator.reply_to(GROUP)
    bot_message = emulator.messages[(GROUP, first.result["message_id"])]
    emulator.send_text(GROUP, user, "And what about Morocco's Sahara plan?", reply_to=bot_message)
    second = await emulator.reply_to(GROUP, after=emulator.calls.index(first) + 1)
    assert "002_afc2c321953de182.txt" in passages(second.params["text"])[0]


async def test_more_and_full_text_buttons(bot, emulator):
    user = emulator.user(13)
    emulator.send_text(13, user, QATAR)
    answer = await emulator.reply_to(13)
    message = emulator.messages[(13, answer.result["message_id"])]
    more = next(b for b in buttons(answer) if b["text"].startswith("More"))
    emulator.press(user, message, more["callback_data"])
    page = await emulator.reply_to(13, after=emulator.calls.index(answer) + 1)
    assert page.params["text"].count("<b>[") >= 1 and "<b>[4]</b>" in page.params["text"]
    assert "<b>[1]</b>" not in page.params["text"]
    acknowledged = await emulator.wait_for(lambda c: c.method == "answerCallbackQuery")
    assert acknowledged.ok

    full = next(b for b in buttons(answer) if b["text"] == "Full text 1")
    emulator.press(user, message, full["callback_data"])
    parts_start = len(emulator.calls)
    first_part = await emulator.reply_to(13, after=parts_start)
    assert first_part.params["text"].startswith("<b>Full text of passage 1</b>")
    # The passage text in full: its opening and its end are both there.
    visible = first_part.result["text"]
    assert "Tokayev" in visible and len(visible) > len(answer.result["text"]) / 3


async def test_forged_and_expired_buttons_get_a_short_answer(bot, emulator):
    user = emulator.user(14)
    emulator.send_text(14, user, QATAR)
    answer = await emulator.reply_to(14)
    message = emulator.messages[(14, answer.result["message_id"])]
    key = buttons(answer)[0]["callback_data"].split(":")[1]
    for data, expected in (
        ("more:AAAAAAAA:3", "expired"),
        ("garbage", "Unknown button"),
        (f"full:{key}:99", "Unknown button"),
        ("full:../../etc:1", "Unknown button"),
    ):
        query_id = emulator.press(user, message, data)
        call = await emulator.wait_for(
            lambda c, q=query_id: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == q
        )
        assert expected in call.params["text"]
    await asyncio.sleep(0.3)
    assert not any("went wrong" in str(c.params.get("text")) for c in emulator.calls)


async def test_long_question_sticker_and_other_updates(bot, emulator):
    user = emulator.user(15)
    service = bot.bot_data.service
    before = service.questions_answered
    question = (QATAR + " ") * 140
    question = question[:4999] + "?"
    emulator.send_text(15, user, question)
    reply = await emulator.reply_to(15)
    assert "5000 characters" in reply.params["text"] and "1000 characters at most" in reply.params["text"]
    assert service.questions_answered == before

    emulator.send_sticker(15, user)
    hint = await emulator.reply_to(15, after=emulator.calls.index(reply) + 1)
    assert "only read text" in hint.params["text"]

    # None of these may get a reply or crash the bot.
    emulator.send_sticker(GROUP, user)
    emulator.send_text(15, user, QATAR, kind="edited_message")
    emulator.send_text(GROUP, emulator.user(99, is_bot=True), f"{BOT} {QATAR}")
    channel = emulator.message(-1002, user, text=f"{BOT} {QATAR}")
    channel["chat"] = {"id": -1002, "type": "channel", "title": "News"}
    emulator._push("channel_post", channel)
    emulator.send_text(16, emulator.user(16), QATAR)
    await emulator.reply_to(16)
    await asyncio.sleep(0.3)
    assert len(emulator.sent(15)) == 2 and not emulator.sent(GROUP) and not emulator.sent(-1002)
    assert not any("went wrong" in str(c.params.get("text")) for c in emulator.calls)


async def test_per_user_question_limit(emulator, seed_index, embedder):
    settings = bot_settings(emulator.base_url, seed_index, QUESTIONS_PER_MINUTE=2)
    async with running_bot(settings, embedder):
        user = emulator.user(17)
        for _ in range(3):
            emulator.send_text(17, user, QATAR)
            await emulator.wait_for(lambda c: c.method == "sendMessage", after=len(emulator.calls))
        texts = [c.params["text"] for c in emulator.sent(17)]
        assert sum("<b>[1]</b>" in t for t in texts) == 2
        assert "2 questions in the last minute" in texts[-1]
        emulator.send_text(18, emulator.user(18), QATAR)  # another user is not affected
        assert "<b>[1]</b>" in (await emulator.reply_to(18)).params["text"]


async def test_fifty_users_at_once_are_all_answered(bot, emulator):
    questions = [
        QATAR,
        "Qu'a dit Tokaïev aux Émirats arabes unis ?",
        "What is the Shanghai Cooperation Organisation?",
        "Sahara marocain",
    ]
    started = time.monotonic()
    for user_id in range(100, 150):
        emulator.send_text(user_id, emulator.user(user_id), questions[user_id % len(questions)])
    for user_id in range(100, 150):
        reply = await emulator.reply_to(user_id, timeout=120)
        assert reply.ok and "<b>[1]</b>" in reply.params["text"]
    print(f"50 concurrent users answered in {time.monotonic() - started:.1f} s")


async def test_setmycommands_failure_does_not_stop_the_bot(emulator, seed_index, embedder):
    emulator.failing["setMyCommands"] = (404, "Not Found: method not supported")
    async with running_bot(bot_settings(emulator.base_url, seed_index), embedder):
        emulator.send_text(19, emulator.user(19), QATAR)
        assert "<b>[1]</b>" in (await emulator.reply_to(19)).params["text"]


async def test_flood_limit_answer_is_retried_by_the_rate_limiter(bot, emulator):
    emulator.fail_next["sendMessage"] = [(429, "Too Many Requests: retry after 1")]
    emulator.send_text(28, emulator.user(28), QATAR)
    reply = await emulator.wait_for(lambda c: c.method == "sendMessage" and c.ok, timeout=30)
    refused = [c for c in emulator.sent(28) if not c.ok]
    assert len(refused) == 1 and reply.at - refused[0].at >= 1.0, "retried after Telegram's retry_after"
    assert "001_c0a4decbc27cb472.txt" in reply.params["text"]


async def test_a_failing_handler_is_logged_and_the_user_gets_an_apology(bot, emulator, caplog):
    # Telegram refuses the answer itself (as it would a message to a chat the bot was removed from).
    emulator.fail_next["sendMessage"] = [(400, "Bad Request: chat not found")]
    emulator.send_text(29, emulator.user(29, language_code="fr"), "Quelle est la position du Kazakhstan sur le Maroc ?")
    apology = await emulator.wait_for(lambda c: c.method == "sendMessage" and c.ok)
    assert apology.params["text"] == "Désolé, un problème est survenu de mon côté. Réessayez dans un instant."
    assert any("error while handling an update" in r.message and r.exc_info for r in caplog.records)


async def test_a_failing_press_under_an_inline_message_gets_the_apology_too(bot, emulator, caplog):
    """Such a press has no chat (the bot's buttons were copied there), but its query waits for an answer."""
    emulator.send_text(30, emulator.user(30), QATAR)
    answer = await emulator.reply_to(30)
    vote = next(b["callback_data"] for b in buttons(answer) if b["text"] == "👍")
    # Telegram refuses the vote's own answer once: the exception reaches the error handler.
    emulator.fail_next["answerCallbackQuery"] = [(400, "Bad Request: BOT_RESPONSE_TIMEOUT")]
    after = len(emulator.calls)
    press = {"id": "inline-press", "from": emulator.user(30), "inline_message_id": "AAEx", "chat_instance": "x"}
    emulator.push("callback_query", press | {"data": vote})
    apology = await emulator.wait_for(lambda c: c.method == "answerCallbackQuery" and c.ok, 20, after)
    assert apology.params["callback_query_id"] == "inline-press"
    assert apology.params["text"] == "Sorry, something went wrong on my side. Please try again in a moment."
    assert any("error while handling an update" in r.message and r.exc_info for r in caplog.records)


async def test_commands_menu_start_help_sources(bot, emulator):
    menus = emulator.sent(method="setMyCommands")
    assert {c.params.get("language_code") for c in menus} == {None, "fr"}
    assert [c["command"] for c in menus[0].params["commands"]] == ["ask", "sources", "help", "start"]
    user = emulator.user(20)
    for command in ("/start", "/help", "/sources"):
        emulator.send_text(20, user, command)
        await emulator.wait_for(lambda c: c.method == "sendMessage", after=len(emulator.calls))
    start, help_text, sources = (c.params["text"] for c in emulator.sent(20))
    assert "cite" in start
    assert "/ask" in help_text and BOT in help_text and "5 articles" in help_text
    assert sources.count("<code>") == 5 and "2025-04-28" in sources and "date unknown" in sources


async def test_non_admin_cannot_reindex_or_see_stats(bot, emulator, seed_index):
    stamp = seed_index.resolve()
    user = emulator.user(21)
    emulator.send_text(21, user, "/reindex")
    refusal = await emulator.reply_to(21)
    assert "only the bot's admins" in refusal.params["text"]
    emulator.send_text(21, user, "/stats")
    second = await emulator.reply_to(21, after=emulator.calls.index(refusal) + 1)
    assert "only the bot's admins" in second.params["text"]
    assert seed_index.resolve() == stamp and not bot.bot_data.rebuilding


async def test_markup_characters_in_an_article_are_escaped(emulator, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / "001_c0a4decbc27cb472.txt", corpus)
    (corpus / "markup.txt").write_text(
        "Tags <b>& ampersands in the Caspian pipeline tariff\n\n date 2026-02-10\n\n"
        "The Caspian pipeline tariff rose to <b>5 & 6</b> tenge per tonne, officials in Aktau said on Monday. "
        "Engineers wrote x < y && y > z on the whiteboard while the tariff talks went on for hours. "
        "The consortium said the Caspian pipeline tariff would stay fixed until the next review in spring.\n",
        encoding="utf-8",
    )
    await asyncio.to_thread(build_index, corpus, tmp_path / "index", embedder, 2_000_000)
    async with running_bot(bot_settings(emulator.base_url, tmp_path / "index", corpus), embedder):
        emulator.send_text(26, emulator.user(26), "What happened to the Caspian pipeline tariff?")
        reply = await emulator.reply_to(26)
        assert reply.ok, reply.result
        assert "&lt;b&gt;5 &amp; 6&lt;/b&gt;" in reply.params["text"]
        assert "<b>5 & 6</b>" in reply.result["text"]  # what Telegram shows


@pytest.mark.parametrize("question", ["What did Kazakhstan say in March 2026?"])
async def test_period_question_names_the_period(bot, emulator, question):
    emulator.send_text(27, emulator.user(27), question)
    reply = await emulator.reply_to(27)
    assert "Articles dated 2026-03-01 to 2026-03-31 preferred, the period of the question." in reply.params["text"]
    assert "001_c0a4decbc27cb472.txt" in passages(reply.params["text"])[0]
