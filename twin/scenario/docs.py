"""The scenario schema as a Markdown table (each key, its type, default, unit and meaning).

``scenarios/README.md`` carries this table between two marker lines; a test checks that it
is up to date, and ``python -m twin.scenario.docs`` rewrites it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twin.scenario.schema import TIME, Scenario

__all__ = ["BEGIN", "END", "schema_rows", "schema_table", "update_readme"]

BEGIN = "<!-- schema: begin (python -m twin.scenario.docs) -->"
END = "<!-- schema: end -->"

_SECTION_NAMES = {
    "leaks": "[[leaks]]",
    "faults": "[[faults]]",
}


def schema_rows(cls: type = Scenario, prefix: str = "") -> Iterator[tuple[str, str, str, str, str]]:
    """``(key path, type, default, unit, meaning)`` of every leaf key, in schema order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        path = f"{prefix}{f.name}"
        inner = _table_class(kind)
        if inner is not None:
            yield from schema_rows(inner, f"{path}." if not _is_array(kind) else f"{path}[].")
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        shown = (
            "required" if f.default is dataclasses.MISSING and default is None else _toml(default)
        )
        yield (
            path,
            _type_name(kind),
            shown,
            f.metadata.get("unit", ""),
            f.metadata.get("doc", ""),
        )


def _table_class(kind: Any) -> type | None:
    if dataclasses.is_dataclass(kind):
        return kind
    args = typing.get_args(kind)
    if typing.get_origin(kind) is tuple and args and dataclasses.is_dataclass(args[0]):
        return args[0]
    return None


def _is_array(kind: Any) -> bool:
    return typing.get_origin(kind) is tuple


def _type_name(kind: Any) -> str:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Annotated:
        return "time" if TIME in args[1:] else _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args if a != "") or "text"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"array of {_type_name(args[0])}"
        return f"[{', '.join(_type_name(a) for a in args)}]"
    if origin is dict or kind is dict:
        return "table of number"
    return {bool: "bool", int: "integer", float: "number", str: "text"}.get(kind, str(kind))


def _toml(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def schema_table() -> str:
    """The Markdown table of every scenario key."""
    lines = ["| key | type | default | unit | meaning |", "|---|---|---|---|---|"]
    for path, kind, default, unit, doc in schema_rows():
        cells = [f"`{path}`", kind, f"`{default}`", unit, doc.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update_readme(readme: Path) -> bool:
    """Put the current table between the markers of ``readme``; True if the file changed."""
    text = readme.read_text(encoding="utf-8")
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{readme}: no {BEGIN!r} ... {END!r} markers")
    new = f"{head}{BEGIN}\n{schema_table()}\n{END}{tail}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    from twin.scenario import scenarios_dir

    changed = update_readme(
        Path(sys.argv[1]) if len(sys.argv) > 1 else scenarios_dir() / "README.md"
    )
    print("updated" if changed else "up to date")
