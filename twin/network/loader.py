"""Load a water network model by bundled name or by path, with errors a user can act on."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from twin.network.bundled import NameOrPath, networks_dir, resolve_network
from twin.network.inp_diagnosis import diagnose_read_error
from twin.network.topology import check_supply

if TYPE_CHECKING:
    import wntr

__all__ = ["load", "quiet_wntr"]

# Warnings WNTR 1.5 emits while reading perfectly usable files; a user can do nothing about
# them. Reading a D-W file switches WNTR's default H-W formula (the roughness read from the
# file is already in D-W terms), and curves no pump or valve uses are simply kept.
_IRRELEVANT_WARNINGS = (
    "Changing the headloss formula",
    "Not all curves were used",
)
_WNTR_READER_LOGGER = "wntr.epanet.io"  # logs "Curve was not used", "Unknown report parameter"


@contextmanager
def quiet_wntr() -> Iterator[None]:
    """Silence WNTR's irrelevant warnings and reader log lines inside the block.

    Other warnings still reach the user; the previous warning filters and log level are
    restored on exit.
    """
    logger = logging.getLogger(_WNTR_READER_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for message in _IRRELEVANT_WARNINGS:
                warnings.filterwarnings("ignore", message=message, category=UserWarning)
            yield
    finally:
        logger.setLevel(level)


def load(name_or_path: NameOrPath, *, validate: bool = True) -> wntr.network.WaterNetworkModel:
    """Read a water network model from a bundled name or an .inp file.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A bundled network's name, case-insensitive, with or without ``.inp``
        (``"Net1"``, ``"l-town"``, see :func:`twin.network.catalogue`), or a path to any
        EPANET .inp file.
    validate : bool, default True
        Check that the network has a water source and that every junction is connected to
        one (over links of any status). Set False to load a network that is being built.

    Returns
    -------
    wntr.network.WaterNetworkModel
        The model, in WNTR's SI units (m, m³/s).

    Raises
    ------
    UnknownNetworkError
        The name is not a bundled network (the message lists the available names).
    FileNotFoundError
        The path does not exist.
    NetworkFileError
        The file cannot be parsed; the error names the line, the section and what was
        expected there.
    NetworkTopologyError
        ``validate`` is True and some junctions cannot be supplied (the error lists them).

    Examples
    --------
    >>> wn = load("Net1")
    >>> wn.num_junctions, wn.num_reservoirs, wn.num_tanks
    (9, 1, 1)
    """
    import wntr  # imported on use: it takes seconds, and every `twin` command imports us

    path = resolve_network(name_or_path)
    with quiet_wntr():
        try:
            wn = wntr.network.WaterNetworkModel(str(path))
        except Exception as error:  # WNTR raises anything from KeyError to EpanetException
            raise diagnose_read_error(path, error) from None
    if validate:
        check_supply(wn, source=_display_name(path))
    return wn


def _display_name(path: Path) -> str:
    """How messages name the network: a bundled network by its name, any other by its path."""
    if path.resolve().parent == networks_dir().resolve():
        return path.stem
    return str(path)
