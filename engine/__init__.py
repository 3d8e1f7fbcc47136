"""The application: commands, authorization, audit, scheduler wiring, CLI and web.

Import submodules directly (``engine.app``, ``engine.cli``); this package
imports nothing heavy so ``ruam --help`` starts fast.
"""
