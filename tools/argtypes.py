"""argparse types the commands share (tools' and the bench's): each turns a bad value into a
message naming it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence


def whole_number(text: str) -> int:
    """`text` as an int, or an argparse error saying it is not a whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def at_least_one(text: str) -> int:
    """A whole number of 1 or more: a count of runs, workers, slices."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive(kind: type[int] | type[float], limit: float, unit: str) -> Callable[[str], float]:
    """A number of `kind` above 0 and at most `limit` (`unit` names what it counts): bounds the
    load a command may put on the machine."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            number = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {number}") from None
        if not 0 < value <= limit:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: more than 0 and at most {limit:g} {unit}"
            )
        return value

    return parse


def names(allowed: Sequence[str], what: str, repeat: bool) -> Callable[[str], tuple[str, ...]]:
    """Comma-separated names among `allowed` (`what` they are, for the message); `repeat`
    says whether one may come more than once."""

    def parse(text: str) -> tuple[str, ...]:
        chosen = tuple(name.strip() for name in text.split(",") if name.strip())
        unknown = [name for name in chosen if name not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"{what} are among {', '.join(allowed)} (comma-separated), not {text!r}"
            )
        if not repeat and len(set(chosen)) != len(chosen):
            raise argparse.ArgumentTypeError(f"{what} named twice in {text!r}")
        return chosen

    return parse


def counts(text: str) -> list[int]:
    """Comma-separated whole numbers of 1 or more, such as `1,2,4`."""
    try:
        return [at_least_one(part) for part in text.split(",")]
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"in {text!r}: {error}") from None
