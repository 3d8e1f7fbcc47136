"""Storage: SQLAlchemy 2.x tables, the unit of work, the ledger append, migrations.

Import submodules directly (``storage.store``: ``Store``, ``Tx``); this package
imports nothing, so that importing any of its modules never runs another.
"""
