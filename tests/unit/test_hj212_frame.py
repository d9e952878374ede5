"""HJ 212 frames: the DOMAIN example, every refusal with its precise reason, replies."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from adapters.hj212 import (
    FrameError, crc16_hex, encode_frame, parse_frame, parse_segment, reply_for,
)

EXAMPLE = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
           b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")
DATA_SEGMENT = ("QN=20240105103000123;ST=22;CN=2011;PW=123456;MN=DUST0001;Flag=5;"
                "CP=&&DataTime=20240105103000;a34002-Rtd=83.1,a34002-Flag=N;"
                "a34004-Rtd=41.0,a34004-Flag=N;LA-Rtd=62.5,LA-Flag=N&&")


def refusal(raw: bytes) -> FrameError:
    with pytest.raises(FrameError) as info:
        parse_frame(raw)
    return info.value


def test_domain_example_frame_parses_with_crc_1c80() -> None:
    assert crc16_hex(EXAMPLE[6:-6]) == "1C80"
    frame = parse_frame(EXAMPLE)
    assert (frame.qn, frame.st, frame.cn, frame.pw) == ("20160801085857223", "32", "1062", "100000")
    assert frame.mn == "010000A8900016F000169DC0"
    assert frame.flag == 5 and frame.wants_reply and frame.version_bits == 1
    assert frame.cp == {"RtdInterval": "30"} and frame.factors == {}


def test_encode_then_parse_round_trips_factors_and_flags() -> None:
    frame = parse_frame(encode_frame(DATA_SEGMENT))
    assert frame.cp == {"DataTime": "20240105103000"}
    assert frame.factors["a34002"] == {"Rtd": "83.1", "Flag": "N"}
    assert frame.factors["LA"] == {"Rtd": "62.5", "Flag": "N"}
    assert frame.segment == DATA_SEGMENT


def test_lower_case_crc_is_accepted() -> None:
    assert parse_frame(EXAMPLE.replace(b"1C80", b"1c80")).mn == "010000A8900016F000169DC0"


def test_crc_mismatch_names_both_values() -> None:
    error = refusal(EXAMPLE.replace(b"1C80", b"1C81"))
    assert error.kind == "crc"
    assert str(error) == "CRC mismatch: frame says 1C81, computed 1C80"


def test_a_flipped_data_byte_is_a_crc_mismatch() -> None:
    error = refusal(EXAMPLE.replace(b"RtdInterval=30", b"RtdInterval=31"))
    assert error.kind == "crc" and "computed" in str(error)


def test_length_field_disagreeing_with_the_data_segment() -> None:
    short = EXAMPLE.replace(b"Flag=5;", b"Flag=5")  # data segment now 100 bytes
    error = refusal(short)
    assert error.kind == "length"
    assert str(error) == "length field 0101 but data segment has 100 bytes"


def test_truncated_frames() -> None:
    assert str(refusal(EXAMPLE[:-2])) == "truncated frame"
    assert str(refusal(EXAMPLE[:8])) == "truncated frame"
    assert refusal(EXAMPLE[:-2]).kind == "truncated"


def test_oversize_frame() -> None:
    segment = "QN=20240105103000123;ST=22;CN=2011;MN=X;CP=&&" + "a" * 1100 + "&&"
    raw = b"##" + str(len(segment)).encode() + segment.encode() + crc16_hex(segment.encode()).encode() + b"\r\n"
    error = refusal(raw)
    assert error.kind == "oversize"
    assert str(error) == f"frame larger than 1024 bytes (length field {len(segment)})"
    with pytest.raises(ValueError, match="exceeds 1024"):
        encode_frame(segment)


def test_not_a_frame() -> None:
    assert refusal(b"hello\r\n").kind == "framing"
    assert str(refusal(b"##01x1QN=1;CP=&&&&0000\r\n")) == "length field '01x1' is not 4 decimal digits"
    assert str(refusal(EXAMPLE.replace(b"1C80", b"1CXZ"))) == "CRC field '1CXZ' is not 4 hex digits"


def test_non_ascii_segment_is_refused() -> None:
    segment = "ST=22;CN=2011;MN=扬尘;CP=&&&&".encode("utf-8")
    raw = b"##" + f"{len(segment):04d}".encode() + segment + crc16_hex(segment).encode() + b"\r\n"
    assert refusal(raw).kind == "encoding"


@pytest.mark.parametrize(("segment", "reason"), [
    ("QN=20240105103000123;ST=22;CN=2011;PW=1;Flag=5;CP=&&&&", "missing MN"),
    ("QN=20240105103000123;CN=2011;MN=A;CP=&&&&", "missing ST"),
    ("QN=20240105103000123;ST=22;MN=A;CP=&&&&", "missing CN"),
    ("QN=20240105103000123;ST=22;CN=2011;MN=A", "missing CP (or CP does not start with &&)"),
    ("ST=22;CN=2011;MN=A;CP=&&a34002-Rtd=1", "CP does not end with &&"),
    ("QN=2024;ST=22;CN=2011;MN=A;CP=&&&&", "QN '2024' is not 17 digits (YYYYMMDDhhmmsszzz)"),
    ("ST=2;CN=2011;MN=A;CP=&&&&", "ST '2' is not 2 digits"),
    ("ST=22;CN=20x1;MN=A;CP=&&&&", "CN '20x1' is not 4 digits"),
    ("ST=22;CN=2011;MN=" + "A" * 25 + ";CP=&&&&", "MN '" + "A" * 25 + "' is longer than 24 characters"),
    ("ST=22;CN=2011;MN=A;Flag=x;CP=&&&&", "Flag 'x' is not a number"),
    ("ST=22;CN=2011;MN=A;Flag=7;CP=&&&&", "Flag announces packet numbering but PNUM/PNO are missing"),
    ("ST=22;CN=2011;MN=A;MN=B;CP=&&&&", "duplicate header field MN"),
    ("ST=22;CN=2011;XX=1;MN=A;CP=&&&&", "unknown header field 'XX'"),
    ("ST=22;CN=2011;MN;CP=&&&&", "header field 'MN' has no '='"),
    ("ST=22;CN=2011;MN=A;CP=&&a34002-Rtd&&", "CP item 'a34002-Rtd' is not key=value"),
])
def test_field_refusals(segment: str, reason: str) -> None:
    error = refusal(encode_frame(segment))
    assert (error.kind, str(error)) == ("field", reason)


def test_packet_numbering_and_old_frames_without_flag() -> None:
    frame = parse_segment("ST=22;CN=2011;MN=A;Flag=7;PNUM=2;PNO=1;CP=&&&&")
    assert (frame.pnum, frame.pno) == (2, 1)
    old = parse_segment("ST=22;CN=2011;PW=123456;MN=A;CP=&&&&")
    assert old.flag == 0 and old.qn is None and not old.wants_reply


def test_data_upload_asking_for_an_answer_gets_9014() -> None:
    answer = reply_for(parse_frame(encode_frame(DATA_SEGMENT)))
    assert answer is not None
    frame = parse_frame(answer)  # the answer is itself a valid frame (length and CRC)
    assert frame.segment == "QN=20240105103000123;ST=91;CN=9014;PW=123456;MN=DUST0001;Flag=4;CP=&&&&"
    assert not frame.wants_reply


def test_request_asking_for_an_answer_is_refused_with_9011() -> None:
    answer = reply_for(parse_frame(EXAMPLE))
    assert answer is not None
    assert parse_frame(answer).segment == (
        "QN=20160801085857223;ST=91;CN=9011;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=2&&")


def test_no_answer_without_flag_a_or_to_answers() -> None:
    assert reply_for(parse_frame(encode_frame(DATA_SEGMENT.replace("Flag=5", "Flag=4")))) is None
    assert reply_for(parse_segment("QN=20240105103000123;ST=91;CN=9014;MN=A;Flag=5;CP=&&&&")) is None


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    try:
        parse_frame(data)
    except FrameError:
        pass


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="\r\n"),
               max_size=200))
def test_any_well_framed_segment_either_parses_or_is_refused_as_a_field_error(text: str) -> None:
    try:
        parse_frame(encode_frame(text))
    except FrameError as exc:
        assert exc.kind == "field"
