"""The readings of words that a call asks for again and again (a menu, a greeting's verdict, what a callee
said) are kept, bounded: the kept answer is the one a fresh reading gives, whatever was read before."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings, strategies as st

from domain import callee_words, menu_reader, voicemail_detector

PHRASES = ["For billing press 2.", "Press 1 for appointments", "you've reached Lakeside, please leave a message",
           "Hi, this is Amy", "Please hold", "We're not interested, take us off your list", "Hola, has llamado a",
           "at the tone", "para español oprima nueve", "the mailbox is full", "Dr. Kent speaking", " ", ""]
texts = st.lists(st.sampled_from(PHRASES) | st.text(max_size=30), min_size=1, max_size=4).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6), st.booleans(), st.booleans())
def test_a_kept_reading_is_the_fresh_one(said, complete, turn_ended):
    for text in said + said[::-1]:
        assert menu_reader.read_menu(text) == menu_reader._read_menu.__wrapped__(text)
        assert voicemail_detector.classify_greeting(text, complete=complete, turn_ended=turn_ended) == \
            voicemail_detector._classify_greeting.__wrapped__(text, complete, turn_ended)
        assert callee_words.heard(text, "Amy") == callee_words.heard.__wrapped__(text, "Amy")


def test_the_same_words_are_read_once_and_what_is_kept_cannot_be_changed():
    text = "Thank you for calling Lakeside. For billing press 2. For the front desk press 0."
    menu_reader._read_menu.cache_clear()
    voicemail_detector._classify_greeting.cache_clear()
    first = [menu_reader.read_menu(text) for _ in range(5)]
    assert menu_reader._read_menu.cache_info().misses == 1 and menu_reader._read_menu.cache_info().hits == 4
    verdicts = [voicemail_detector.classify_greeting(text) for _ in range(5)]
    assert voicemail_detector._classify_greeting.cache_info().misses == 1
    assert [o.key for o in first[0].choices] == ["2", "0"] and verdicts[0].is_machine
    with pytest.raises(dataclasses.FrozenInstanceError):
        first[0].options = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdicts[0].answerer = voicemail_detector.Answerer.HUMAN  # type: ignore[misc]


def test_what_is_kept_is_bounded():
    for cached in (menu_reader._read_menu, voicemail_detector._classify_greeting, callee_words.heard):
        assert 0 < cached.cache_info().maxsize <= 4096


@pytest.mark.parametrize("words", [None, b"hello", ["press", "2"]])
def test_what_is_not_text_is_refused_by_name_even_when_it_cannot_be_kept(words):
    with pytest.raises(TypeError, match="menu text must be a str"):
        menu_reader.read_menu(words)
    with pytest.raises(TypeError, match="greeting text must be a str"):
        voicemail_detector.classify_greeting(words)
