"""Storage: SQLAlchemy 2.x tables, the unit of work, the ledger append, migrations."""

from storage.store import Store, Tx

__all__ = ["Store", "Tx"]
