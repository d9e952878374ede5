"""Answers the platform owes a device (HJ 212-2017 §6.6 and appendix C).

- A data upload (2xxx/3xxx) whose Flag has bit A set gets a **9014 data answer**:
  ``QN=<its QN>;ST=91;CN=9014;PW=<its PW>;MN=<its MN>;Flag=<version bits>;CP=&&&&``.
  The device resends the upload until it receives it, so the listener sends it only after
  the readings are committed.
- A request (1xxx) with bit A set gets a **9011 request answer** with ``QnRtn=2`` (refused):
  set-parameter commands flow from the platform to devices, never the other way round.
- Answers (9xxx) and frames without bit A get nothing.
"""
from __future__ import annotations

from .codes import CN_DATA_ANSWER, CN_REQUEST_ANSWER, QNRTN_REFUSED, ST_SYSTEM
from .frame import FLAG_ACK, FLAG_PACKETS, Frame, encode_frame


def reply_for(frame: Frame) -> bytes | None:
    """The frame to send back for ``frame``, or None when it asks for none."""
    if not frame.wants_reply or frame.cn.startswith("9"):
        return None
    if frame.cn.startswith("1"):
        return _answer(frame, CN_REQUEST_ANSWER, f"QnRtn={QNRTN_REFUSED}")
    return _answer(frame, CN_DATA_ANSWER, "")


def _answer(frame: Frame, cn: str, cp: str) -> bytes:
    # Same protocol version as the request; the answer itself asks for no answer and is
    # never split into packets.
    flag = frame.flag & ~(FLAG_ACK | FLAG_PACKETS)
    parts = []
    if frame.qn:
        parts.append(f"QN={frame.qn}")
    parts += [f"ST={ST_SYSTEM}", f"CN={cn}"]
    if frame.pw is not None:
        parts.append(f"PW={frame.pw}")
    parts += [f"MN={frame.mn}", f"Flag={flag}", f"CP=&&{cp}&&"]
    return encode_frame(";".join(parts))
