"""Cutting a byte stream into HJ 212 frames: splits, several per read, garbage, oversize."""
from __future__ import annotations

from hypothesis import given, strategies as st

from adapters.hj212 import Frame, FrameError, FrameReader, encode_frame

A = encode_frame("QN=20240105103000001;ST=22;CN=2011;MN=A;Flag=5;CP=&&DataTime=20240105103000;a34002-Rtd=80&&")
B = encode_frame("QN=20240105103000002;ST=22;CN=2011;MN=B;Flag=5;CP=&&DataTime=20240105103000;a34002-Rtd=90&&")


def kinds(items: list[Frame | FrameError]) -> list[str]:
    return [item.mn if isinstance(item, Frame) else f"!{item.kind}" for item in items]


def test_several_frames_in_one_read() -> None:
    assert kinds(FrameReader().feed(A + B + A)) == ["A", "B", "A"]


def test_a_frame_split_byte_by_byte() -> None:
    reader = FrameReader()
    out: list[Frame | FrameError] = []
    for i in range(len(A)):
        out += reader.feed(A[i:i + 1])
    assert kinds(out) == ["A"] and reader.pending_bytes == 0


def test_garbage_between_frames_is_reported_and_skipped() -> None:
    items = FrameReader().feed(b"AT+OK\r\n" + A + b"\x00\xff junk" + B)
    assert kinds(items) == ["!garbage", "A", "!garbage", "B"]
    assert str(items[0]) == "7 bytes of garbage between frames"


def test_extra_line_breaks_are_not_garbage() -> None:
    assert kinds(FrameReader().feed(A + b"\r\n" + B)) == ["A", "B"]


def test_a_frame_cut_short_by_the_next_one() -> None:
    items = FrameReader().feed(A[:40] + B)
    assert kinds(items) == ["!truncated", "B"]


def test_truncated_frame_at_connection_end() -> None:
    reader = FrameReader()
    assert reader.feed(A[:30]) == []
    left = reader.close()
    assert left is not None and left.kind == "truncated"
    assert str(left) == "truncated frame (30 bytes, connection ended)"


def test_oversize_length_field_skips_the_frame_and_resyncs() -> None:
    reader = FrameReader()
    items = reader.feed(b"##2000QN=" + b"x" * 100)
    assert kinds(items) == ["!oversize"]
    assert str(items[0]) == "frame larger than 1024 bytes (length field 2000)"
    assert kinds(reader.feed(b"y" * 5000 + b"\r" + b"\n" + A)) == ["A"]
    assert reader.close() is None


def test_a_frame_without_end_is_oversize_and_memory_stays_bounded() -> None:
    reader = FrameReader()
    items = reader.feed(b"##0100" + b"z" * 3000)
    assert kinds(items) == ["!oversize"]
    for _ in range(100):
        assert reader.feed(b"z" * 4096) == []
        assert reader.pending_bytes <= 1
    assert kinds(reader.feed(b"\r\n" + B)) == ["B"]


def test_bad_crc_in_the_stream_does_not_affect_the_next_frame() -> None:
    bad = A[:-6] + b"0000\r\n"
    items = FrameReader().feed(bad + B)
    assert kinds(items) == ["!crc", "B"]


@given(st.lists(st.integers(min_value=1, max_value=len(A) * 3), max_size=20))
def test_any_split_of_a_clean_stream_yields_the_same_frames(cuts: list[int]) -> None:
    stream = A + B + A
    reader = FrameReader()
    out: list[Frame | FrameError] = []
    pos = 0
    for cut in sorted(set(cuts)) + [len(stream)]:
        out += reader.feed(stream[pos:cut])
        pos = max(pos, cut)
    assert kinds(out) == ["A", "B", "A"]


@given(st.binary(max_size=2000))
def test_noise_never_crashes_and_a_following_frame_still_parses(noise: bytes) -> None:
    reader = FrameReader()
    reader.feed(noise)
    out = reader.feed(b"\r\n" + A)
    assert [i.mn for i in out if isinstance(i, Frame)][-1:] == ["A"]
