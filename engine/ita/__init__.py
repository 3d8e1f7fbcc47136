"""ITA evidence out of the ledger: the four elements per task, the item catalogue,
completeness, the answer sheet and the files the public site may serve.

Import the submodules directly; this package imports nothing.
"""
