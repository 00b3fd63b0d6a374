"""Store: a run's DuckDB file with bronze (as received), silver (validated) and gold tables."""

from twin.store.quality import quality_summary
from twin.store.run_store import RunInfo, RunStore, StoredBatch, StoreError, run_path
from twin.store.sink import StoreSink

__all__ = [
    "RunInfo",
    "RunStore",
    "StoreError",
    "StoreSink",
    "StoredBatch",
    "quality_summary",
    "run_path",
]
