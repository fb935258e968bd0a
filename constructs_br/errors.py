"""One error type for bad configuration.

Every error names the field (a dotted path), the bad value and what is allowed, so a user can fix
config without reading code. Validation collects all problems of one object and raises once.

>>> err = ConfigError("settings.kubernetes.max-pods", -1, "an integer 0..4294967295")
>>> str(err)
"settings.kubernetes.max-pods: got -1; allowed: an integer 0..4294967295"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding: the dotted field path, the bad value, and what is allowed."""

    field: str
    value: Any
    allowed: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.field}: got {self.value!r}; allowed: {self.allowed}"
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(ValueError):
    """Bad input detected at synth time (or by ``brctl``). Holds one or more :class:`Problem`."""

    def __init__(
        self,
        field: str | None = None,
        value: Any = None,
        allowed: str = "",
        hint: str = "",
        *,
        problems: Iterable[Problem] = (),
    ) -> None:
        items = list(problems)
        if field is not None:
            items.insert(0, Problem(field, value, allowed, hint))
        if not items:
            raise TypeError("ConfigError needs a field or at least one problem")
        self.problems: tuple[Problem, ...] = tuple(items)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.problems)


class Problems:
    """Collects problems of one object, then raises them all at once.

    >>> p = Problems()
    >>> p.add("min_size", 3, "<= max_size (2)")
    >>> p.raise_if_any()
    Traceback (most recent call last):
    ...
    constructs_br.errors.ConfigError: min_size: got 3; allowed: <= max_size (2)
    """

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str, value: Any, allowed: str, hint: str = "") -> None:
        self.items.append(Problem(field, value, allowed, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(problems=self.items)
