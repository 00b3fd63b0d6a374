"""Where the bundled networks live and how a name or a path becomes an .inp file."""

from __future__ import annotations

import os
from pathlib import Path

from twin.network.errors import UnknownNetworkError

__all__ = [
    "NETWORKS_ENV",
    "available_networks",
    "network_file",
    "networks_dir",
    "resolve_network",
]

NETWORKS_ENV = "TWIN_NETWORKS"
"""Environment variable that points the catalogue at another folder of .inp files."""

NameOrPath = str | os.PathLike[str]
"""A bundled network's name (``"Net1"``, ``"l-town.inp"``) or a path to an .inp file."""


def networks_dir() -> Path:
    """The folder of bundled networks.

    Returns
    -------
    Path
        ``$TWIN_NETWORKS`` when set, else the repository's ``networks/`` folder
        (found relative to this package, so it works from any working directory).
    """
    override = os.environ.get(NETWORKS_ENV)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parents[2] / "networks"


def available_networks(folder: Path | None = None) -> list[str]:
    """Names of the bundled networks (file stems of ``*.inp``), sorted case-insensitively.

    Parameters
    ----------
    folder : Path, optional
        Folder to list; defaults to :func:`networks_dir`.

    Returns
    -------
    list of str
        For example ``["Anytown", "Balerma", ..., "Net1", ...]``; empty when the folder
        does not exist.
    """
    folder = networks_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    stems = (p.stem for p in folder.iterdir() if p.suffix.lower() == ".inp" and p.is_file())
    return sorted(stems, key=str.lower)


def resolve_network(name_or_path: NameOrPath) -> Path:
    """Turn a bundled network's name or a path into the .inp file to read.

    A value that names an existing file, or that looks like a path (it contains a
    directory separator), is taken as a path. Anything else is a name, matched
    case-insensitively, with or without ``.inp``, against :func:`available_networks`.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        ``"Net1"``, ``"net1.inp"``, ``"L-TOWN"`` or ``"/data/town.inp"``.

    Returns
    -------
    Path
        The file to read.

    Raises
    ------
    FileNotFoundError
        A path was given and no file is there.
    UnknownNetworkError
        A name was given that is not bundled; the message lists the available names.

    Examples
    --------
    >>> resolve_network("net1").name
    'Net1.inp'
    """
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(str(name_or_path)):
        path = Path(name_or_path).expanduser()
        if path.is_file():
            return path
        if path.is_dir():
            raise FileNotFoundError(f"network file {path} is a folder, not an .inp file")
        raise FileNotFoundError(f"network file not found: {path}")
    name = str(name_or_path)
    if Path(name).is_file():
        return Path(name)
    folder = networks_dir()
    stem = name[:-4] if name.lower().endswith(".inp") else name
    for available in available_networks(folder):
        if available.lower() == stem.lower():
            return network_file(folder, available)
    raise UnknownNetworkError(name, available_networks(folder), folder)


def _looks_like_path(value: str) -> bool:
    """Whether a string is meant as a path rather than a bundled network's name."""
    return os.sep in value or "/" in value or (os.altsep is not None and os.altsep in value)


def network_file(folder: Path, stem: str) -> Path:
    """The .inp file of a name listed by :func:`available_networks`, whatever its suffix case."""
    for path in folder.iterdir():
        if path.stem == stem and path.suffix.lower() == ".inp":
            return path
    raise FileNotFoundError(f"network file not found: {folder / stem}.inp")  # pragma: no cover
