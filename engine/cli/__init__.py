"""The ``ruam`` command line, one module per family of sub-commands.

``ruam`` (the console script) is ``engine.cli.ruam:main``; ``common`` holds
what the families share. This package imports nothing, so ``ruam --help``
loads only the parsers.
"""
