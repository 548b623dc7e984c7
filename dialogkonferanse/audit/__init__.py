"""The audit log (ARCHITECTURE.md, layer 0): ``log`` records who changed what (snapshot, diff,
record) and holds the admin mixin that records staff's edits; ``admin`` is the read-only log
with its CSV export. The model stays in ``dialogkonferanse.models`` (app label
``dialogkonferanse``, table unchanged)."""
