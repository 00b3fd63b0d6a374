"""Turn a failed read of an .inp file into a :class:`NetworkFileError` that says where and why.

Three witnesses, asked in order:

1. EPANET 2.3 itself (the OWA toolkit, in-process). When EPANET rejects the file, its
   report names each error, its section and the offending line's text; the text is
   looked up in the file to get the line number.
2. WNTR's own exception, when it carries ``at line N`` (WNTR's reader is stricter than
   EPANET in places, e.g. chemical units in ``[OPTIONS] QUALITY``).
3. WNTR's traceback: the ``_read_<section>`` function that failed names the section,
   and the value quoted in the error message is looked up in that section's lines.
"""

from __future__ import annotations

import re
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.network.errors import NetworkFileError
from twin.network.inp_scan import read_inp_lines, section_at

__all__ = ["InpProblem", "diagnose_read_error", "epanet_problems", "wntr_problem"]

_EPANET_ERROR = re.compile(r"^\s*Error (\d+):\s*(.*?)\s*$")
_EPANET_SECTION = re.compile(r"\s+in (\[[A-Z_]+\]) section:?$", re.IGNORECASE)
_WNTR_LINE = re.compile(r"^\(Error (\d+)\)\s*(.*?),? at line (\d+)", re.DOTALL)
_QUOTED = re.compile(r"""['"](.+?)['"]\s*$""")
_WNTR_READER = re.compile(r"^_read_([a-z]+)$")
_CLOCK = re.compile(r"^(\d{1,2})(?:\.(\d+))?\s*(AM|PM)$", re.IGNORECASE)
_BARE_CLOCK = re.compile(r"\bCLOCKTIME\s+\S+\s+\d{1,2}(?:\.\d+)?\s*(?:AM|PM)\b", re.IGNORECASE)
_EPANET_ACCEPTS = "EPANET 2.3 itself accepts the file; only WNTR's reader rejects it."


@dataclass(frozen=True)
class InpProblem:
    """One located problem of an .inp file.

    Attributes
    ----------
    reason : str
        What is wrong and what was expected.
    line : int or None
        1-based line number.
    section : str or None
        Section header, e.g. ``"[PIPES]"``.
    text : str or None
        The offending line, whitespace collapsed.
    """

    reason: str
    line: int | None = None
    section: str | None = None
    text: str | None = None


def diagnose_read_error(path: Path, error: BaseException) -> NetworkFileError:
    """Explain why WNTR could not read ``path``.

    Parameters
    ----------
    path : Path
        The .inp file WNTR failed on.
    error : BaseException
        What WNTR raised.

    Returns
    -------
    NetworkFileError
        Located at the first real problem, with a hint on how to write it instead.
    """
    try:
        lines = read_inp_lines(path)
    except OSError as exc:
        return NetworkFileError(path, f"the file cannot be read ({exc.strerror or exc})")
    problems = epanet_problems(path, lines)
    if problems:
        first = problems[0]
        reason = first.reason
        if len(problems) > 1:
            others = ", ".join(_where(p) for p in problems[1:6])
            reason += f" (EPANET reports {len(problems) - 1} more: {others})"
        return NetworkFileError(
            path, reason, line=first.line, section=first.section, text=first.text
        )
    problem = wntr_problem(error, lines)
    return NetworkFileError(
        path,
        problem.reason if problems is None else f"{problem.reason} {_EPANET_ACCEPTS}",
        line=problem.line,
        section=problem.section,
        text=problem.text,
    )


def epanet_problems(path: Path, lines: list[str]) -> list[InpProblem] | None:
    """The input errors EPANET 2.3 reports for the file; empty when EPANET accepts it.

    Parameters
    ----------
    path : Path
        The .inp file.
    lines : list of str
        Its lines (to find the line numbers of the offending text).

    Returns
    -------
    list of InpProblem or None
        One per error EPANET wrote to its report, in the report's order; None when the
        EPANET toolkit is not installed, so no second opinion could be asked.
    """
    try:
        import epanet.toolkit as tk
    except ImportError:  # pragma: no cover - owa-epanet is a dependency
        return None
    with tempfile.TemporaryDirectory(prefix="twin-inp-") as tmp:
        report = Path(tmp) / "check.rpt"
        project = tk.createproject()
        try:
            tk.open(project, str(path), str(report), "")
            accepted = True
        except Exception:  # the toolkit raises a bare Exception for error 200
            accepted = False
        finally:
            _close_quietly(tk, project)  # closing is what flushes the report file
        if accepted:
            return []
        report_lines = read_inp_lines(report) if report.exists() else []
    return [_locate(code, what, text, lines) for code, what, text in _report_errors(report_lines)]


def wntr_problem(error: BaseException, lines: list[str]) -> InpProblem:
    """Locate the problem WNTR's reader tripped on, from its exception and traceback.

    Parameters
    ----------
    error : BaseException
        What WNTR raised (possibly ``EpanetException(200)`` chained to the real cause).
    lines : list of str
        The file's lines.

    Returns
    -------
    InpProblem
        Line, section and offending text where they can be found; a reason always.
    """
    for exc in _chain(error):
        match = _WNTR_LINE.match(str(exc))
        if match:
            code, what, number = int(match.group(1)), match.group(2), int(match.group(3))
            text = _shown(lines[number - 1]) if 0 < number <= len(lines) else None
            reason = _wntr_line_hint(code, what, text) or f"WNTR error {code}: {_tidy(what)}."
            return InpProblem(reason, number, section_at(lines, number), text)
    root = _chain(error)[-1]
    section = _failing_section(root)
    token = _quoted_value(root)
    reason, same_problem = _traceback_hint(root, token)
    numbers = _matching_lines(lines, section, same_problem) if section and same_problem else []
    if len(numbers) > 1:
        more = ", ".join(str(n) for n in numbers[1:9]) + (", ..." if len(numbers) > 9 else "")
        reason += f" {len(numbers) - 1} more lines of {section} have the same problem ({more})."
    if not numbers:
        return InpProblem(reason, None, section, None)
    return InpProblem(reason, numbers[0], section, _shown(lines[numbers[0] - 1]))


def _close_quietly(tk: Any, project: Any) -> None:
    """Close and delete an EPANET project, whatever state a failed open left it in."""
    try:
        tk.close(project)
    except Exception:  # nothing was opened: nothing to close
        pass
    tk.deleteproject(project)


def _report_errors(report_lines: list[str]) -> list[tuple[int, str, str | None]]:
    """``(code, description, offending line text)`` for each error of an EPANET report."""
    errors = []
    for i, raw in enumerate(report_lines):
        match = _EPANET_ERROR.match(raw)
        if not match or match.group(1) == "200":
            continue
        following = report_lines[i + 1].strip() if i + 1 < len(report_lines) else ""
        text = None if not following or _EPANET_ERROR.match(following) else following
        errors.append((int(match.group(1)), match.group(2), text))
    return errors


def _locate(code: int, what: str, text: str | None, lines: list[str]) -> InpProblem:
    """Find an EPANET-reported line in the file and build the problem."""
    section_match = _EPANET_SECTION.search(what)
    described = _EPANET_SECTION.sub("", what).rstrip(":. ")
    section = section_match.group(1).upper() if section_match else None
    number = _find_line(lines, text, section) if text else None
    if number is not None and section is None:
        section = section_at(lines, number)
    reason = f"EPANET error {code}: {described}."
    return InpProblem(reason, number, section, _shown(text) if text else None)


def _find_line(lines: list[str], text: str, section: str | None) -> int | None:
    """1-based number of the first line equal to ``text`` (whitespace-insensitive).

    Lines inside ``section`` are preferred, since the same text may occur elsewhere.
    """
    wanted = _collapse(text)
    matches = [i for i, raw in enumerate(lines, start=1) if _collapse(raw) == wanted]
    in_section = [i for i in matches if section is None or section_at(lines, i) == section]
    found = in_section or matches
    return found[0] if found else None


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _failing_section(error: BaseException) -> str | None:
    """``"[RULES]"`` when WNTR failed inside its ``_read_rules``, and so on."""
    section = None
    for frame in traceback.extract_tb(error.__traceback__):
        match = _WNTR_READER.match(frame.name)
        if match and "wntr" in frame.filename:
            section = f"[{match.group(1).upper()}]"
    return section


def _quoted_value(error: BaseException) -> str | None:
    """The value an error message quotes last, e.g. ``6 AM`` in ``...: '6 AM'``."""
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    match = _QUOTED.search(str(error))
    return match.group(1) if match else None


def _matching_lines(lines: list[str], section: str, pattern: re.Pattern[str]) -> list[int]:
    """Numbers of the lines of ``section`` whose data (comment removed) match ``pattern``."""
    return [
        i
        for i, raw in enumerate(lines, start=1)
        if pattern.search(_shown(raw)) and section_at(lines, i) == section
    ]


def _whole_words(token: str) -> re.Pattern[str]:
    """A pattern finding ``token`` as whole words, whatever the spacing and case."""
    words = r"\s+".join(re.escape(word) for word in token.split())
    return re.compile(rf"(?<!\S){words}(?!\S)", re.IGNORECASE)


def _wntr_line_hint(code: int, what: str, text: str | None) -> str | None:
    """A specific explanation for WNTR errors that carry a line number, when one is known."""
    words = (text or "").split()
    if code == 213 and "chemical units" in what and len(words) >= 3:
        fixed = " ".join([*words[:2], "mg/L", *words[3:]])
        return (
            f"WNTR reads the word after the chemical name ({words[1]}) as its concentration "
            f"units and accepts only mg/L or ug/L, not {words[2]!r}; write `{fixed}`."
        )
    return None


def _traceback_hint(error: BaseException, token: str | None) -> tuple[str, re.Pattern[str] | None]:
    """Explain a WNTR failure known from its traceback.

    Returns the reason and a pattern matching every line with the same problem (None when
    the failing line cannot be recognised).
    """
    calls = [frame.line or "" for frame in traceback.extract_tb(error.__traceback__)]
    same = _whole_words(token) if token else None
    if any("TimeOfDayCondition(" in call for call in calls):
        fix = _clock_fix(token) if token else None
        instead = f"; write `{fix}`" if fix else ""
        reason = (
            "WNTR reads a rule's CLOCKTIME as decimal hours (6.5) or as hh:mm[:ss] with an "
            f"optional AM/PM (6:30 PM), not {token!r}{instead}."
        )
        return reason, _BARE_CLOCK if token and _CLOCK.match(token) else same
    if isinstance(error, ValueError) and "could not convert string to float" in str(error):
        return f"WNTR expected a number here, not {token!r}.", same
    return f"WNTR failed with {type(error).__name__}: {error}.", same


def _clock_fix(token: str) -> str | None:
    """``"6 AM"`` -> ``"6:00 AM"``, the form WNTR's rule reader accepts."""
    match = _CLOCK.match(token.strip())
    if not match:
        return None
    hours, fraction, half = match.groups()
    minutes = round(float(f"0.{fraction}") * 60) if fraction else 0
    return f"{int(hours)}:{minutes:02d} {half.upper()}"


def _where(problem: InpProblem) -> str:
    """``line 41 [FOO]`` for the list of further problems."""
    parts = [f"line {problem.line}" if problem.line else "", problem.section or ""]
    return " ".join(p for p in parts if p) or problem.reason


def _shown(raw: str) -> str:
    """A file line as quoted in messages: comment removed, whitespace collapsed."""
    return _collapse(raw.split(";", 1)[0]) or _collapse(raw)


def _collapse(text: str) -> str:
    """Whitespace runs to single spaces, ends stripped."""
    return " ".join(text.split())


def _tidy(message: str) -> str:
    """WNTR's message without its unfilled ``(%s)`` placeholders and trailing punctuation."""
    return message.replace(" (%s)", "").replace("%s", "").strip().rstrip(",:.")
