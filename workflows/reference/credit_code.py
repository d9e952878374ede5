"""Unified social credit code (统一社会信用代码, GB 32100-2015): format and check character.

An 18-character code: registration authority (1), organization category (1), the
administrative division of the registering office (6 digits), the subject identifier (9,
the former organization code) and a check character. Its alphabet is the digits and the
upper-case Latin letters except I, O, Z, S and V (31 characters, easily confused letters
left out). The check character ``C18`` satisfies ``C18 = 31 - (Σ Ci·Wi mod 31)`` with the
weights ``Wi = 3^(i-1) mod 31`` (a result of 31 is written as 0).
"""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, …
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
EXCLUDED_LETTERS = "IOZSV"


class InvalidCreditCode(ValueError):
    """The text is not a valid unified social credit code; the message says why (in English)."""


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code.

    Raises:
        InvalidCreditCode: ``first17`` is not 17 characters of the code alphabet.
    """
    if len(first17) != LENGTH - 1:
        raise InvalidCreditCode(f"expected {LENGTH - 1} characters, got {len(first17)}")
    total = 0
    for position, (ch, weight) in enumerate(zip(first17, WEIGHTS), start=1):
        if ch not in _VALUE:
            raise InvalidCreditCode(_bad_character(ch, position))
        total += _VALUE[ch] * weight
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return ``code`` unchanged when it is a valid unified social credit code.

    Lower-case letters are refused rather than silently upper-cased: a code is an identifier
    and is stored, compared and printed exactly as issued.

    Raises:
        InvalidCreditCode: wrong length, a character outside the alphabet (including lower-case
            letters and I, O, Z, S, V), a non-digit in the division code, or a wrong check
            character.
    """
    if not isinstance(code, str):
        raise InvalidCreditCode("a credit code is text")
    if len(code) != LENGTH:
        raise InvalidCreditCode(f"a unified social credit code has {LENGTH} characters, this one has {len(code)}")
    for position, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise InvalidCreditCode(_bad_character(ch, position))
    if not code[2:8].isdigit():
        raise InvalidCreditCode("characters 3 to 8 (the administrative division code) must be digits")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(f"wrong check character {code[17]!r} (expected {expected!r})")
    return code


def is_valid_credit_code(code: str) -> bool:
    try:
        validate_credit_code(code)
    except InvalidCreditCode:
        return False
    return True


def make_credit_code(first17: str) -> str:
    """``first17`` completed with its check character (demo data and tests)."""
    return first17 + check_character(first17)


def _bad_character(ch: str, position: int) -> str:
    if ch.isascii() and ch.isalpha() and ch.islower():
        return f"character {position} ({ch!r}) is lower-case; codes use upper-case letters"
    if ch.upper() in EXCLUDED_LETTERS and ch.isascii():
        return f"character {position} ({ch!r}) is not used in credit codes (I, O, Z, S and V never occur)"
    return f"character {position} ({ch!r}) is not a digit or an allowed upper-case letter"
