"""The catalogue of bundled networks: size, mains length and origin of each, in one table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from twin.network.bundled import available_networks, network_file, networks_dir
from twin.network.inp_scan import scan_inp

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CATALOGUE_COLUMNS", "NETWORK_SOURCES", "catalogue"]

CATALOGUE_COLUMNS = ("name", "junctions", "pipes", "mains_km", "source")
"""Columns of :func:`catalogue`, in order."""

NETWORK_SOURCES: dict[str, str] = {
    "Anytown": "Anytown (Walski 1987)",
    "BWSN_Network_1": "BWSN (Ostfeld 2008)",
    "BWSN_Network_2": "BWSN (Ostfeld 2008)",
    "Balerma": "Irrigation (Reca 2006)",
    "C-Town_BWCN": "BWCN (Ostfeld 2012)",
    "Hanoi": "Fujiwara & Khang 1990",
    "KL": "Kang & Lansey 2012",
    "L-TOWN": "BattLeDIM 2020 (KIOS)",
    "MICROPOLIS_v1": "Micropolis (Brumbelow 2007)",
    "Net1": "EPANET example (US EPA)",
    "Net3": "EPANET example (US EPA)",
    "Richmond_standard": "Richmond UK (van Zyl)",
    "exnet-3": "EXNET (Farmani 2004)",
}
"""Short origin of each bundled network by file stem; networks/README.md has the full notes."""


def catalogue(folder: Path | None = None) -> pd.DataFrame:
    """One row per bundled network, smallest first.

    The figures come from a quick scan of each file's sections, not from building a WNTR
    model, so the whole catalogue takes about a tenth of a second.

    Parameters
    ----------
    folder : Path, optional
        Folder of .inp files; defaults to :func:`twin.network.networks_dir`
        (the repository's ``networks/``, or ``$TWIN_NETWORKS``).

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (str, the name :func:`twin.network.load` accepts),
        ``junctions`` (int), ``pipes`` (int), ``mains_km`` (float, total pipe length in km)
        and ``source`` (str, short origin; empty when unknown), sorted by ``junctions``
        then ``name``, with a fresh 0..n-1 index.

    Examples
    --------
    >>> table = catalogue()
    >>> table.loc[table["name"] == "Net1", ["junctions", "pipes"]].values.tolist()
    [[9, 12]]
    """
    import pandas as pd  # imported on use: keeps `import twin.network` (and `twin`) fast

    folder = networks_dir() if folder is None else folder
    rows = []
    for name in available_networks(folder):
        summary = scan_inp(network_file(folder, name))
        rows.append(
            {
                "name": name,
                "junctions": summary.junctions,
                "pipes": summary.pipes,
                "mains_km": summary.mains_km,
                "source": NETWORK_SOURCES.get(name, ""),
            }
        )
    table = pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))
    table = table.astype({"junctions": "int64", "pipes": "int64", "mains_km": "float64"})
    return table.sort_values(["junctions", "name"], ignore_index=True)
