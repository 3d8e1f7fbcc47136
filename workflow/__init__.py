"""The domain, pure Python: definitions, the machine, the ledger record, replay.

No SQLAlchemy, no APScheduler, no clock, no I/O.
"""
