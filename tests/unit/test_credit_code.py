"""Unified social credit codes (GB 32100-2015): real codes pass, every kind of mistake fails."""
from __future__ import annotations

import pytest

from workflows.reference.credit_code import (
    ALPHABET,
    WEIGHTS,
    InvalidCreditCode,
    check_character,
    is_valid_credit_code,
    make_credit_code,
    validate_credit_code,
)

# Codes published by the enterprises themselves (business licences, annual reports).
REAL_CODES = [
    "91330100716105852F",  # 阿里巴巴（中国）有限公司, 杭州
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司 (check character 6)
    "91110000600037341L",  # 北京, a foreign-invested enterprise
]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(ALPHABET) == 31 and not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert is_valid_credit_code(code)


def test_a_check_result_of_31_is_written_0() -> None:
    # Find a 17-character body whose weighted sum is a multiple of 31.
    body = next(f"9133020{n:010d}" for n in range(10_000) if check_character(f"9133020{n:010d}") == "0")
    assert validate_credit_code(body + "0")
    assert not is_valid_credit_code(body + "Y")


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_wrong_character_is_caught(code: str) -> None:
    # Changing any one character to any other allowed character breaks the check (mod 31 is prime
    # and every weight is non-zero), except in positions 3–8, which must also stay digits.
    for position in range(18):
        for replacement in ALPHABET:
            if replacement == code[position]:
                continue
            wrong = code[:position] + replacement + code[position + 1:]
            assert not is_valid_credit_code(wrong), (position, replacement)


def test_a_wrong_check_character_names_the_expected_one() -> None:
    with pytest.raises(InvalidCreditCode, match="wrong check character 'G' \\(expected 'F'\\)"):
        validate_credit_code("91330100716105852G")


def test_lowercase_is_refused_not_upper_cased() -> None:
    with pytest.raises(InvalidCreditCode, match="lower-case"):
        validate_credit_code("9144030071526726xg")


@pytest.mark.parametrize("code", ["", "9133010071610585", "91330100716105852", "91330100716105852FF",
                                  "91330100716105852F "])
def test_wrong_length(code: str) -> None:
    with pytest.raises(InvalidCreditCode, match="18 characters"):
        validate_credit_code(code)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_the_letters_i_o_z_s_v_never_occur(letter: str) -> None:
    code = "91330100716105852" + letter
    with pytest.raises(InvalidCreditCode, match="never occur"):
        validate_credit_code(code)
    with pytest.raises(InvalidCreditCode):
        check_character("9133010071610585" + letter)


@pytest.mark.parametrize("code", ["9133010071610585-F", "91330100716105852\u00c9", "９１330100716105852F"])
def test_other_characters_are_refused(code: str) -> None:
    assert not is_valid_credit_code(code)


def test_the_division_code_must_be_digits() -> None:
    code = make_credit_code("9133A100716105852")
    with pytest.raises(InvalidCreditCode, match="administrative division"):
        validate_credit_code(code)


def test_make_credit_code_completes_a_body() -> None:
    assert make_credit_code("91330100716105852") == "91330100716105852F"
    assert all(is_valid_credit_code(make_credit_code(f"913302{n:011d}")) for n in range(0, 10**6, 9973))
