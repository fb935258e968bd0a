"""The one parser of blue/green CDK context keys, for EKS pairs and ECS capacity pairs alike.

Under a prefix (``br:<stage>:pair:`` or ``br:<stage>:capacity:``), each key is ``<pair>:<key>``:

======================================  ====================================================================
``<pair>:phase``                        ``blue`` | ``blue+green`` | ``green`` | ``green+blue``; an adopted pair
                                        also ``retire`` (after ``green``: its owner may delete the adopted group)
``<pair>:adopt``                        the existing group the pair adopts as its ``blue`` slot:
                                        ``nodegroup/<name>`` | ``asg/<name>`` (EKS pairs),
                                        ``capacity-provider/<name>`` (ECS pairs); see :mod:`~.adopt`
``<pair>:<slot>:instance-types``        comma-separated instance types of one slot (an override)
``<pair>:<slot>:image-version``         full image version of one slot (lockfile current or previous);
                                        empty string: follow the lockfile's current pin
``<pair>:retire-outgoing``              ``true``: make the outgoing slot deletable (ECS pairs only)
======================================  ====================================================================

Strict: a key under the prefix for an unknown pair, or an unknown key of a known pair, is an error naming the key.

>>> from constructs_br.bluegreen.pair import PairSpec
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True, kw_only=True)
... class Spec:
...     instance_types: tuple[str, ...] = ("m7i.large",)
...     image_version: str | None = None
>>> pairs = (PairSpec(name="general", base=Spec()),)
>>> ctx = {"br:pilot:pair:general:phase": "blue+green", "br:pilot:pair:general:green:instance-types": "m8i.large"}
>>> out = apply_pair_context(pairs, ctx, prefix="br:pilot:pair:")
>>> out[0].phase.value, out[0].slot_spec("green").instance_types
('blue+green', ('m8i.large',))
>>> apply_pair_context(pairs, {"br:pilot:pair:general:phse": "green"}, prefix="br:pilot:pair:")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: br:pilot:pair:general:phse: got 'green'; allowed: one of br:pilot:pair:general:...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from constructs_br.bluegreen.adopt import ECS_KINDS, EKS_KINDS, AdoptedGroup, AdoptKind, parse_pair_phase
from constructs_br.bluegreen.pair import PairSpec
from constructs_br.bluegreen.phases import SLOTS
from constructs_br.errors import ConfigError, Problem, Problems
from constructs_br.images.ssm import validate_image_version_full

SLOT_KEYS: Mapping[str, str] = {"instance-types": "instance_types", "image-version": "image_version"}
"""Per-slot context keys and the spec field each overrides."""


def csv(value: Any) -> tuple[str, ...]:
    """``"a, b"`` or ``["a", "b"]`` → ``("a", "b")``."""
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in str(value).split(",") if v.strip())


def parse_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ConfigError(field, value, "true | false")


def pair_keys(prefix: str, pair: str, *, retire: bool) -> tuple[str, ...]:
    """Every context key a pair accepts under ``prefix`` (what errors list as allowed)."""
    keys = [f"{prefix}{pair}:phase", f"{prefix}{pair}:adopt"]
    keys += [f"{prefix}{pair}:{slot}:{key}" for slot in SLOTS for key in SLOT_KEYS]
    if retire:
        keys.append(f"{prefix}{pair}:retire-outgoing")
    return tuple(keys)


def _as_keys(
    problems: Sequence[Problem], pair: PairSpec[Any], prefix: str, changed: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """Problems of a slot field a context key set, renamed to that key (the user wrote the key, not the field)."""
    by_field = {
        f"{pair.field_prefix}.{pair.name}.{slot}.{spec_field}": f"{prefix}{pair.name}:{slot}:{key}"
        for slot, fields in changed.items()
        for key, spec_field in SLOT_KEYS.items()
        if spec_field in fields
    }
    return [replace(q, field=by_field.get(q.field, q.field)) for q in problems]


def _pair_fields_as_keys(
    problems: Sequence[Problem], pair: PairSpec[Any], prefix: str, changed: Collection[str]
) -> list[Problem]:
    """Problems of the pair's adopt / phase / retire-outgoing fields, renamed to the context keys that set them.

    ``changed``: the pair fields the context set. ``retire_outgoing`` in a single-slot phase is named by its own key
    when the context set it, else by the phase key when the context moved the phase under a retire the code set."""
    f = f"{pair.field_prefix}.{pair.name}"
    by_field = {
        f"{f}.adopt": f"{prefix}{pair.name}:adopt",
        f"{f}.phase": f"{prefix}{pair.name}:phase",
        f"{f}.retired": f"{prefix}{pair.name}:phase",
    }
    if "retire_outgoing" in changed:
        by_field[f"{f}.retire_outgoing"] = f"{prefix}{pair.name}:retire-outgoing"
    elif "phase" in changed:
        by_field[f"{f}.retire_outgoing"] = f"{prefix}{pair.name}:phase"
    return [replace(q, field=by_field.get(q.field, q.field)) for q in problems]


def apply_pair_context(
    pairs: Sequence[PairSpec[Any]],
    context: Mapping[str, Any],
    *,
    prefix: str,
    allow_retire: bool = False,
    adopt_kinds: Collection[AdoptKind] | None = None,
) -> tuple[PairSpec[Any], ...]:
    """``pairs`` with every context key under ``prefix`` applied; all problems at once, each naming its key.

    ``adopt_kinds``: what ``<pair>:adopt`` may name (default: ECS pairs — ``allow_retire`` — a capacity provider,
    EKS pairs a node group or ASG).
    """
    kinds = adopt_kinds if adopt_kinds is not None else (ECS_KINDS if allow_retire else EKS_KINDS)
    p = Problems()
    by_name = {pair.name: pair for pair in pairs}
    changes: dict[str, dict[str, Any]] = {name: {} for name in by_name}
    slot_changes: dict[str, dict[str, dict[str, Any]]] = {name: {s: {} for s in SLOTS} for name in by_name}
    for key in sorted(k for k in context if k.startswith(prefix)):
        value = context[key]
        name, _, rest = key[len(prefix) :].partition(":")
        if name not in by_name:
            p.add(key, value, f"a key for one of these pairs: {', '.join(sorted(by_name)) or '(none)'}")
            continue
        allowed = "one of " + " | ".join(pair_keys(prefix, name, retire=allow_retire))
        slot, _, slot_key = rest.partition(":")
        try:
            if rest == "phase":
                adopted = by_name[name].adopt is not None or f"{prefix}{name}:adopt" in context
                changes[name]["phase"], retired = parse_pair_phase(value, key, adopted=adopted)
                if retired or by_name[name].retired:
                    changes[name]["retired"] = retired
            elif rest == "adopt":
                text = str(value).strip()
                changes[name]["adopt"] = AdoptedGroup.parse(text, key, kinds) if text else None
            elif rest == "retire-outgoing" and allow_retire:
                changes[name]["retire_outgoing"] = parse_bool(value, key)
            elif slot in SLOTS and slot_key == "instance-types":
                types = csv(value)
                if not types:
                    raise ConfigError(key, value, "one or more comma-separated instance types")
                slot_changes[name][slot]["instance_types"] = types
            elif slot in SLOTS and slot_key == "image-version":
                version = str(value).strip() or None
                if version is not None:
                    validate_image_version_full(version, key)
                slot_changes[name][slot]["image_version"] = version
            else:
                p.add(key, value, allowed)
        except ConfigError as exc:
            p.extend(exc.problems)
    p.raise_if_any()
    out = []
    for pair in pairs:
        kwargs = dict(changes[pair.name])
        for slot in SLOTS:
            if slot_changes[pair.name][slot]:
                kwargs[slot] = {**pair.overrides(slot), **slot_changes[pair.name][slot]}
        if not kwargs:
            out.append(pair)
            continue
        try:
            out.append(dataclasses.replace(pair, **kwargs))
        except ConfigError as exc:
            renamed = _as_keys(exc.problems, pair, prefix, slot_changes[pair.name])
            p.extend(_pair_fields_as_keys(renamed, pair, prefix, changes[pair.name]))
    p.raise_if_any()
    return tuple(out)
