"""The project's benchmark: ``python -m bench`` (see docs/performance.md).

It starts a throwaway PostgreSQL and Redis on loopback, runs every section in one
process (the start-up and memory sections spawn child processes), prints a markdown
report and writes it, with the raw figures as JSON, to ``bench-results/``.

Sections, one module each:

* ``dispatch``: full updates through aiogram's Dispatcher on every storage.
* ``store_step``: one ``get`` + compare-and-set ``save`` per backend.
* ``sweep``: expiring 10k/100k/1M sessions, the index the sweep uses, and update
  latency while it runs.
* ``startup``: process start to first update handled, and resident memory, with 0
  and 100k stored sessions.

``python -m bench.whatif`` runs changed variants of our code on the same harness, to
estimate what the changes recommended in docs/performance.md would gain.
"""

__all__: list[str] = []
