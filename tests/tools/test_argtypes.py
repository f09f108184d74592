"""The argparse types the commands share: each value they refuse, refused with a message."""

from __future__ import annotations

import argparse

import pytest

from tools.argtypes import at_least_one, counts, names, positive, whole_number


def test_whole_number_reads_ints_and_names_what_is_not_one():
    assert whole_number("-3") == -3
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected a whole number, got '1\.5'"):
        whole_number("1.5")


@pytest.mark.parametrize(("text", "message"), [("0", "at least 1, got 0"), ("x", "'x'")])
def test_at_least_one_refuses_zero_and_words(text, message):
    assert at_least_one("7") == 7
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        at_least_one(text)


def test_positive_bounds_both_ends_and_keeps_its_kind():
    users = positive(int, 500, "users")
    seconds = positive(float, 600, "seconds")
    assert users("40") == 40
    assert seconds("0.5") == 0.5
    with pytest.raises(argparse.ArgumentTypeError, match="at most 500 users"):
        users("501")
    with pytest.raises(argparse.ArgumentTypeError, match="more than 0"):
        seconds("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"'2\.5' is not a whole number"):
        users("2.5")
    with pytest.raises(argparse.ArgumentTypeError, match="'soon' is not a number"):
        seconds("soon")


def test_names_takes_known_names_in_order_and_refuses_unknown_empty_or_repeated():
    engines = names(("sqlite", "postgresql"), "engines", repeat=False)
    steps = names(("list", "word"), "steps", repeat=True)
    assert engines(" postgresql, sqlite") == ("postgresql", "sqlite")
    assert steps("word,word,list") == ("word", "word", "list")
    with pytest.raises(argparse.ArgumentTypeError, match="among sqlite, postgresql"):
        engines("mysql")
    with pytest.raises(argparse.ArgumentTypeError, match="among"):
        engines(",")
    with pytest.raises(argparse.ArgumentTypeError, match="engines named twice"):
        engines("sqlite,sqlite")


def test_counts_reads_a_list_and_names_the_bad_part():
    assert counts("1,2,16") == [1, 2, 16]
    with pytest.raises(argparse.ArgumentTypeError, match=r"in '1,0': must be at least 1"):
        counts("1,0")
    with pytest.raises(argparse.ArgumentTypeError, match="expected a whole number, got 'two'"):
        counts("1,two")


def test_an_argparse_parser_turns_the_error_into_a_usage_message(capsys):
    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("--runs", type=at_least_one)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--runs", "0"])
    assert exit_info.value.code == 2
    assert "argument --runs: must be at least 1, got 0" in capsys.readouterr().err
