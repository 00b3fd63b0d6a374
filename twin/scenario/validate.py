"""Strict reading of scenario data into the schema tree, and dotted-path overrides.

Every table is checked against its schema dataclass: an unknown key, a missing required key
or a value of the wrong type is a :class:`ScenarioError` that names the key path
(``leaks.0.diameter_mm``), the value and what is allowed. The walk is written here rather
than taken from a validation library because the schema classes must stay plain frozen
dataclasses (picklable for Dask workers, mirrored from the settings classes) and the messages
must use the file's own key paths.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Mapping
from typing import Any

from twin.scenario.schema import TIME, Scenario
from twin.scenario.times import TIME_HELP, normalise_time

__all__ = ["ScenarioError", "allowed_keys", "apply_overrides", "build", "parse_value"]


class ScenarioError(ValueError):
    """A scenario that cannot be run: the file, the key path, the value and what is allowed."""


def _where(source: str, path: str) -> str:
    return f"{source}: {path}" if source else path


def build(cls: type, data: Mapping[str, Any], path: str = "", source: str = "") -> Any:
    """The schema dataclass ``cls`` from a table, checked key by key.

    Parameters
    ----------
    cls : type
        A schema dataclass (:class:`~twin.scenario.schema.Scenario` or one of its sections).
    data : mapping
        The table (from TOML or :meth:`Scenario.to_dict`).
    path : str
        Key path of the table (empty at the top).
    source : str
        The file, for messages.

    Raises
    ------
    ScenarioError
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{_where(source, path or '(top)')} = {data!r}: expected a table of "
            f"{', '.join(allowed_keys(cls))}"
        )
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            raise ScenarioError(
                f"{_where(source, _join(path, key))}: unknown key; allowed here: "
                f"{', '.join(fields)}"
            )
    values = {}
    for name, f in fields.items():
        where = _join(path, name)
        if name in data:
            values[name] = coerce(hints[name], data[name], where, source)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ScenarioError(f"{_where(source, where)}: missing (this key is required)")
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ScenarioError(f"{_where(source, path or '(top)')}: {error}") from None


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def coerce(kind: Any, value: Any, path: str, source: str = "") -> Any:
    """``value`` checked against the type ``kind`` (see :func:`build`)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)

    def wrong(expected: str) -> ScenarioError:
        return ScenarioError(f"{_where(source, path)} = {value!r}: expected {expected}")

    if origin is typing.Annotated and TIME in args[1:]:
        try:
            return "" if value == "" else normalise_time(value)
        except ValueError:
            raise wrong(f"{TIME_HELP}, or empty") from None
    if origin is typing.Annotated:
        return coerce(args[0], value, path, source)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return coerce(inner, value, path, source)
    if origin is typing.Literal:
        if value not in args:
            raise wrong("one of " + ", ".join(repr(a) for a in args))
        return value
    if dataclasses.is_dataclass(kind):
        return build(kind, value, path, source)
    if origin is tuple:
        return _sequence(args, value, path, source, wrong)
    if origin in (dict, Mapping) or kind is dict:
        if not isinstance(value, Mapping):
            raise wrong("a table of name = number")
        item = args[1] if args else Any
        return {str(k): coerce(item, v, _join(path, k), source) for k, v in value.items()}
    return _scalar(kind, value, wrong)


def _sequence(args: tuple, value: Any, path: str, source: str, wrong) -> tuple:
    if not isinstance(value, list | tuple):
        raise wrong("an array")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(coerce(args[0], v, _join(path, k), source) for k, v in enumerate(value))
    if len(value) != len(args):
        raise wrong(f"an array of {len(args)} values")
    return tuple(
        coerce(a, v, _join(path, k), source)
        for k, (a, v) in enumerate(zip(args, value, strict=True))
    )


def _scalar(kind: Any, value: Any, wrong) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("a whole number")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise wrong("a number")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise wrong('text in quotes ("...")')
        return value
    if kind is Any:
        return value
    raise TypeError(f"scenario schema: no rule for values of type {kind!r}")


def allowed_keys(cls: type) -> list[str]:
    """The keys of a schema table, in the schema's order."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def parse_value(value: object) -> object:
    """An override's value: text is read as a TOML value (``"0.1"``, ``"true"``,
    ``"[8, 12]"``, ``'"L-TOWN"'``), else kept as text; other values are kept as they are.

    Examples
    --------
    >>> parse_value("12"), parse_value("[8, 12]"), parse_value("L-TOWN"), parse_value(3)
    (12, [8, 12], 'L-TOWN', 3)
    """
    if not isinstance(value, str):
        return value
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, object], source: str = ""
) -> dict[str, Any]:
    """A copy of the scenario table with each dotted key path set to its value.

    A path walks the schema: ``run.seed``, ``twin.detection.min_leak_m3h``,
    ``leaks.0.diameter_mm`` (an index into an array of tables that the file has). Missing
    tables on the way are created. The result is still to be checked by :func:`build`.

    Raises
    ------
    ScenarioError
        A path that leaves the schema, naming the path and the keys allowed at that level.
    """
    result = _copy(data)
    for key_path, raw in overrides.items():
        _set(result, str(key_path), parse_value(raw), source)
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _set(table: dict, key_path: str, value: object, source: str) -> None:
    parts = key_path.split(".")
    cls: Any = Scenario
    node: Any = table
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[:depth]) or "(top)"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                count = f"{len(node)} entr{'y' if len(node) == 1 else 'ies'}"
                allowed = f"an index 0..{len(node) - 1}" if node else "the whole array"
                raise ScenarioError(
                    f"{_where(source, key_path)}: {here} has {count}; expected {allowed}"
                )
            index = int(part)
            if last:
                node[index] = value
                return
            node = node[index]
            continue
        kind = _field_type(cls, part) if cls is not None else Any
        if kind is None:
            raise ScenarioError(
                f"{_where(source, key_path)}: unknown key path; allowed after {here}: "
                f"{', '.join(allowed_keys(cls))}"
            )
        if last:
            node[part] = value
            return
        cls, container = _descend(kind)
        node = node.setdefault(part, [] if container is list else {})


def _field_type(cls: type, name: str) -> Any:
    """The type of field ``name`` of schema class ``cls`` (None: no such field)."""
    if not dataclasses.is_dataclass(cls):
        return Any  # inside a free table (e.g. localization weights)
    if name not in allowed_keys(cls):
        return None
    return typing.get_type_hints(cls, include_extras=True)[name]


def _descend(kind: Any) -> tuple[Any, type]:
    """The schema class below a field, and whether its value is a list or a table."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        item = args[0]
        return (item if dataclasses.is_dataclass(item) else None), list
    if dataclasses.is_dataclass(kind):
        return kind, dict
    return None, dict
