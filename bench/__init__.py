"""Benchmarks of the notebooks' training, each run from the repository root as ``python -m bench.<name>``
(docs/benchmarks.md lists them with their results). What they share is in ``bench/harness.py``."""

import os

os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars amid the tables (tqdm reads it when first imported)
