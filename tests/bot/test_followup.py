"""The follow-up rule and query composition (pure; the emulator tests cover the bot's use of it)."""

from __future__ import annotations

import pytest

from bot.followup import query_for, stands_alone

QATAR = "What did Kazakhstan say about Qatar?"
TALIBANS = "Qu'a dit le Kazakhstan au sujet des talibans ?"


@pytest.mark.parametrize(
    ("previous", "message", "expected"),
    [
        (QATAR, "And Jordan?", "What did Kazakhstan say about Jordan ?"),
        (QATAR, "And what about Jordan?", "What did Kazakhstan say about Jordan ?"),
        (QATAR, "Which date was that?", "What did Kazakhstan say about Qatar date ?"),
        (TALIBANS, "Et en 2024 ?", "Qu'a dit le Kazakhstan au sujet des talibans 2024 ?"),
        (TALIBANS, "Et sur l'Afghanistan ?", "Qu'a dit le Kazakhstan au sujet des talibans Afghanistan ?"),
    ],
)
def test_follow_up_carries_the_subject_over(previous: str, message: str, expected: str) -> None:
    assert query_for(previous, message) == (expected, True)


@pytest.mark.parametrize("message", ["What is the SCO?", "Quel est l'objectif de l'OCS ?"])
def test_a_question_of_its_own_is_searched_alone(message: str) -> None:
    assert stands_alone(message)
    assert query_for(QATAR, message) == (message, False)


def test_no_previous_question_means_no_merge() -> None:
    assert query_for(None, "And Jordan?") == ("And Jordan?", False)


@pytest.mark.parametrize("message", ["And Jordan?", "Et ça ?", "Which date was that?", "Et pour la Russie ?"])
def test_pointing_back_is_not_standing_alone(message: str) -> None:
    assert not stands_alone(message)
