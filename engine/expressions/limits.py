"""Resource limits and the per-evaluation budget that enforces them.

Every evaluated node costs one operation. Work done inside builtins is charged to the same
budget so that a single call cannot do unbounded work: producing or comparing containers costs
one operation per :data:`ITEMS_PER_OPERATION` elements, producing text one per
:data:`CHARS_PER_OPERATION` characters. Sizes are checked *before* anything big is allocated.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from engine.expressions.errors import ExpressionError, ExpressionLimitExceeded

#: Elements copied, hashed or compared by a builtin per operation charged.
ITEMS_PER_OPERATION = 10
#: Characters of text produced per operation charged.
CHARS_PER_OPERATION = 100

#: Deepest nesting of containers a builtin may traverse.
MAX_VALUE_NESTING = 1_000

#: Containers whose contents builtins walk (compare, hash, convert to text).
CONTAINERS: tuple[type, ...] = (list, tuple, dict, set, frozenset)
_PLAIN_CONTAINERS = frozenset(CONTAINERS)
_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True)
class Limits:
    """Resource limits of one evaluation; hashable so parse results can be cached per limit set.

    Attributes:
        max_operations: evaluated nodes plus charged builtin work.
        max_sequence_length: items of any list, tuple, dict, set or range.
        max_string_length: characters of any string; also caps how many objects a single
            builtin may walk (comparing or converting nested containers).
        max_int_bits: bits of any integer.
        max_depth: nesting depth of expressions and statements.
    """

    max_operations: int = 100_000
    max_sequence_length: int = 100_000
    max_string_length: int = 1_000_000
    max_int_bits: int = 4096
    max_depth: int = 50

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{field.name} must be a positive int, got {value!r}")


DEFAULT_LIMITS = Limits()


class Budget:
    """Operations spent so far by one evaluation, and the size checks that go with them."""

    __slots__ = ("limits", "operations")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.operations = 0

    def tick(self) -> None:
        """Count one evaluated node."""
        self.operations += 1
        if self.operations > self.limits.max_operations:
            self._exhausted()

    def charge(self, operations: int) -> None:
        """Count ``operations`` units of builtin work."""
        self.operations += operations
        if self.operations > self.limits.max_operations:
            self._exhausted()

    def _exhausted(self) -> None:
        raise ExpressionLimitExceeded(
            f"the expression used more than {self.limits.max_operations:,} operations"
        )

    def check_int(self, value: int) -> int:
        """Refuse an integer wider than ``max_int_bits``; return it otherwise."""
        if value.bit_length() > self.limits.max_int_bits:
            raise ExpressionLimitExceeded(
                f"integer too large (more than {self.limits.max_int_bits} bits)"
            )
        return value

    def check_bits(self, bits: int) -> None:
        """Refuse an integer result estimated to need ``bits`` bits, before computing it."""
        if bits > self.limits.max_int_bits:
            raise ExpressionLimitExceeded(
                f"integer result too large (about {bits:,} bits, at most "
                f"{self.limits.max_int_bits} allowed)"
            )

    def check_length(self, length: int, *, text: bool) -> None:
        """Refuse a string (``text``) or container of ``length`` items, before building it."""
        if text and length > self.limits.max_string_length:
            raise ExpressionLimitExceeded(
                f"text too long ({length:,} characters, at most "
                f"{self.limits.max_string_length:,} allowed)"
            )
        if not text and length > self.limits.max_sequence_length:
            raise ExpressionLimitExceeded(
                f"sequence too long ({length:,} items, at most "
                f"{self.limits.max_sequence_length:,} allowed)"
            )

    def produced(self, value: Any) -> Any:
        """Check and charge a value a builtin has just built; return it unchanged."""
        if isinstance(value, str):
            self.check_length(len(value), text=True)
            self.charge(len(value) // CHARS_PER_OPERATION)
        elif isinstance(value, CONTAINERS):
            self.check_length(len(value), text=False)
            self.charge(len(value) // ITEMS_PER_OPERATION)
        elif isinstance(value, int) and not isinstance(value, bool):
            self.check_int(value)
        return value

    def charge_sizes(self, values: Iterable[Any]) -> None:
        """Charge the shallow size of values a builtin scans once (text, containers)."""
        cost = 0
        for value in values:
            if isinstance(value, str):
                cost += len(value) // CHARS_PER_OPERATION
            elif isinstance(value, CONTAINERS):
                cost += len(value) // ITEMS_PER_OPERATION
        if cost:
            self.charge(cost)

    def weigh(self, value: Any, *, as_text: bool = False) -> int:
        """Walk a value that a builtin is about to traverse (compare, hash, convert to text).

        Containers can share references, so a small object graph may stand for an enormous
        nested value; walking it with a cap is the only way to know what a builtin would do.
        The walk is charged to the budget and stops as soon as the budget or the size cap is
        exhausted, so it never costs more than the work it protects against.

        Args:
            value: the value about to be traversed.
            as_text: the value is about to be converted to text; sets are refused because
                their order is not deterministic, and the estimated text length is checked.

        Returns:
            An estimate of the length of the value's text form.
        """
        if not isinstance(value, CONTAINERS):
            return _scalar_text_size(value)
        limits = self.limits
        cap = min(limits.max_string_length,
                  (limits.max_operations - self.operations + 1) * ITEMS_PER_OPERATION)
        objects = 1
        text = 0
        stack = [(value, 1)]
        while stack and objects <= cap:
            item, depth = stack.pop()
            if depth > MAX_VALUE_NESTING:
                # Python hashes nested tuples recursively without a guard: refuse, never crash.
                raise ExpressionLimitExceeded(
                    f"value nested too deeply (more than {MAX_VALUE_NESTING:,} levels)")
            if as_text and isinstance(item, (set, frozenset)):
                raise ExpressionError(
                    "a set has no defined order, so it cannot be converted to text; "
                    "use sorted(...) first"
                )
            members = [*item, *item.values()] if isinstance(item, dict) else item
            objects += len(members)
            flat = _PLAIN_SCALARS.issuperset(map(type, members))  # the common case, and fast
            if not flat:
                stack.extend((member, depth + 1) for member in members if _is_container(member))
            if as_text:
                text += 2 + 2 * len(members) + sum(
                    _scalar_text_size(member) for member in members
                    if flat or not _is_container(member))
                if text > limits.max_string_length:
                    self.check_length(text, text=True)
        self.charge(objects // ITEMS_PER_OPERATION)
        if objects > limits.max_string_length:
            raise ExpressionLimitExceeded(
                f"value too large to process (more than {limits.max_string_length:,} nested "
                "items, or it contains itself)"
            )
        return text


def _is_container(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN_CONTAINERS:
        return True
    return kind not in _PLAIN_SCALARS and isinstance(value, CONTAINERS)


def _scalar_text_size(value: Any) -> int:
    """Estimate the length of ``str(value)`` for a non-container without converting it."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, int) and not isinstance(value, bool):
        return (value.bit_length() * 77 >> 8) + 2  # log10(2) ~ 77/256
    return 32
