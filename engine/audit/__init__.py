"""The audit: what an auditor checks, on the live database and on an export.

``live`` verifies the chain, replays the ledger and compares it with the live
tables (one snapshot); ``workers`` folds ranges of processes in parallel for it;
``checks`` holds what both of them use; ``export`` writes the ledger to a file
with a seal and verifies such a file offline. Import the submodules directly.
"""
