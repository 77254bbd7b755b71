"""Follow-ups through the real Application and the emulator: replies and short private messages."""

from __future__ import annotations

from tests.bot.test_bot import BOT, GROUP, QATAR, passages

TALIBANS = "Qu'a décidé le Kazakhstan au sujet des talibans ?"


async def test_short_private_message_follows_the_last_answer(bot, emulator):
    user = emulator.user(40)
    emulator.send_text(40, user, QATAR)
    first = await emulator.reply_to(40)
    assert "following" not in first.params["text"]
    emulator.send_text(40, user, "And Jordan?")
    second = await emulator.reply_to(40, after=emulator.calls.index(first) + 1)
    header = second.params["text"].split("\n\n")[0]
    assert f"↪ following: <i>{QATAR}</i>" in header
    top = passages(second.params["text"])[0]
    assert "001_c0a4decbc27cb472.txt" in top and "Jordan" in top


async def test_french_reply_in_a_group_follows_the_answer_it_replies_to(bot, emulator):
    user = emulator.user(41, language_code="fr")
    emulator.send_text(GROUP, user, f"{BOT} {TALIBANS}")
    first = await emulator.reply_to(GROUP)
    answer = emulator.messages[(GROUP, first.result["message_id"])]
    emulator.send_text(GROUP, user, "Et en 2024 ?", reply_to=answer)
    second = await emulator.reply_to(GROUP, after=emulator.calls.index(first) + 1)
    assert "↪ suite de : <i>Qu'a décidé le Kazakhstan au sujet des talibans ?</i>" in second.params["text"]
    # The year keeps to 2024 (articles of 2024 preferred), the subject stays the Taliban question.
    assert "datés du 2024" in second.params["text"]


async def test_french_short_private_message_and_english_reply(bot, emulator):
    user = emulator.user(42, language_code="fr")
    emulator.send_text(42, user, TALIBANS)
    first = await emulator.reply_to(42)
    emulator.send_text(42, user, "Et ça, c'était quand ?")
    second = await emulator.reply_to(42, after=emulator.calls.index(first) + 1)
    assert "↪ suite de :" in second.params["text"]
    assert "003_0f37ec3c77dfb273.txt" in passages(second.params["text"])[0]
    # A reply to the first answer follows that answer, even after another one.
    answer = emulator.messages[(42, first.result["message_id"])]
    emulator.send_text(42, user, "Which date was that?", reply_to=answer)
    third = await emulator.reply_to(42, after=emulator.calls.index(second) + 1)
    assert "↪ following: <i>Qu'a décidé le Kazakhstan au sujet des talibans ?</i>" in third.params["text"]


async def test_a_question_of_its_own_is_not_merged(bot, emulator):
    user = emulator.user(43)
    emulator.send_text(43, user, QATAR)
    first = await emulator.reply_to(43)
    emulator.send_text(43, user, "Quel était l'objectif initial de l'OCS ?")
    second = await emulator.reply_to(43, after=emulator.calls.index(first) + 1)
    assert "following" not in second.params["text"] and "suite de" not in second.params["text"]
    assert "004_c4a08215d9484b76.txt" in passages(second.params["text"])[0]
