"""The ``ruam`` command: its parser and ``main``.

Exit codes: 0 done; 1 refused (not allowed, invalid transition, bad evidence,
conflict, integrity failure, database trouble); 2 usage error. Messages are
Thai by default (``--lang en`` or ``RUAM_LANG=en`` for English); read commands
take ``--json``. The database is ``--db URL``, else ``RUAM_DATABASE_URL``,
else ``ruam.db`` in the working directory. Heavy modules load lazily.

Each family of sub-commands adds its own parsers (``add_parsers``) and sets
the function that runs it; they share ``engine.cli.common``.
"""

from __future__ import annotations

import argparse
import os
import sys

from engine.cli import admin, audit, calendar, common, documents, ita, office, process, reports, serve
from engine.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Parser, add_common


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ruam", description="Ruam (ร่วม) — the stakeholder participation workflow engine.")
    parser.add_argument("--version", action="version", version="ruam 0.1.0")
    add_common(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    # the order of 'ruam --help'
    for family in (admin, process, documents, audit, calendar, ita, reports, serve, office):
        family.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    from engine.logs import configure
    from workflow.errors import DefinitionError, RuamError, UsageError

    default_level = "INFO" if args.command == "serve" or args.verbose else "WARNING"
    configure(os.environ.get("RUAM_LOG_LEVEL", default_level))
    lang = common.lang(args)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"ruam: {exc.message(lang)}", file=sys.stderr)
        return EXIT_USAGE
    except DefinitionError as exc:
        for problem in exc.problems:
            print(problem.located(lang), file=sys.stderr)
        print(f"ruam: {len(exc.problems)} problem(s) in the definition(s)"
              if lang == "en" else f"ruam: พบปัญหาในนิยาม {len(exc.problems)} ข้อ", file=sys.stderr)
        return EXIT_REFUSED
    except RuamError as exc:
        print(f"ruam: {common.explain(exc, lang)}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ruam log | head`: the reader left; nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback to a user
        from engine.logs import get_logger

        get_logger("ruam.cli").error("internal_error", command=args.command, error=repr(exc), exc_info=args.verbose)
        print(f"ruam: internal error ({type(exc).__name__}); nothing was changed. See the log above.",
              file=sys.stderr)
        return EXIT_REFUSED
    finally:
        common.dispose_stores()


if __name__ == "__main__":
    sys.exit(main())
