"""The ``kasuwa`` command. Usage errors exit 2; a rejected file exits 1 with a one-line reason
on stderr; nothing ever prints a stack trace.

Everything written to the terminal goes through ``printable``: control characters (ANSI escape
sequences, carriage returns, bidirectional overrides) from a file's headers or names are shown
as ``\\x1b``-style text, never sent raw. SIGTERM is turned into an exception like Ctrl-C, so
an interrupted command cleans up after itself (no half-copied file in landing, no scratch
folder in ``tmp/``) and exits 143 (130 for Ctrl-C).

One module per command group, each with ``register(subparsers)``, listed in ``COMMANDS``: the
list is explicit, so a missing module is an ImportError at start, never a command skipped in
silence.

Commands that are jobs (``set_defaults(job=True)``: ingest, watch, payouts run, fx load, outbox
send) run at a lower CPU priority than the processes that serve pages (``owner/priority.py``).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from ..errors import KasuwaError
from . import creator, fx, ingest, outbox, payouts, serve, setup, upload, user, watch
from .common import Parser, printable, safe_output

__all__ = ["COMMANDS", "Parser", "Terminated", "build_parser", "main", "printable"]

#: the command groups, in the order ``kasuwa --help`` lists them
COMMANDS = (setup, creator, ingest, upload, outbox, serve, watch, user, payouts, fx)

_Parser = Parser  # the name older callers (and tests) use


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so every ``finally`` runs, as for Ctrl-C."""


#: the stop signal that arrived (SIGINT or SIGTERM), remembered as well as raised: a signal that
#: lands inside a DuckDB query comes back out of the query as the library's own "Query
#: interrupted" error (or as a read error built on it), not as the exception raised here
_STOPPED_BY: list[int] = []


def _on_stop(signum: int, frame: object) -> None:
    _STOPPED_BY.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt()
    raise Terminated()


@contextmanager
def _stop_signals_as_exceptions() -> Iterator[None]:
    try:
        previous = {sig: signal.signal(sig, _on_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread (called from a test's worker): leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="kasuwa", description="Kasuwa: per-region sales warehouses for creators.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with safe_output(), _stop_signals_as_exceptions():
            return _main(argv)
    except BrokenPipeError:
        return _pipe_closed()


def _pipe_closed() -> int:
    """The reader of our output went away (``kasuwa … | head``): not an error of ours. Output
    from here on goes nowhere (Python's own flush at exit would fail again); exit 141, as a
    shell tool killed by SIGPIPE does. Work already done (a load committed) stays done."""
    import os

    with suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141


def _stopped() -> int:
    """One line and the shell's exit status for the stop: 130 for Ctrl-C, 143 for SIGTERM. When
    the work was handed to the region's owner (a time limit ran out while it loaded), the owner
    goes on: the line says so instead of promising that nothing was loaded."""
    from ..owner.registry import JOBS_HANDED_OVER

    how, code = ("stopped (SIGTERM)", 143) if _STOPPED_BY and _STOPPED_BY[0] == signal.SIGTERM else \
        ("interrupted", 130)
    if JOBS_HANDED_OVER:
        print(f"kasuwa: {how}; the region's owner was already working on it and may still finish (look at the "
              "uploads later, or run the same command again: a file already loaded is recognised and loads "
              "nothing)", file=sys.stderr)
    else:
        print(f"kasuwa: {how}; nothing half-loaded was kept (run the same command again)", file=sys.stderr)
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "job", False) and argv is None:  # a job: pages people are looking at come first
        from ..owner.priority import lower_process

        lower_process()
    try:
        return int(args.fn(args) or 0)
    except BrokenPipeError:
        return _pipe_closed()
    except KasuwaError as exc:
        if _STOPPED_BY:  # the stop surfaced as a read or load error
            return _stopped()
        print(f"kasuwa: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for the user, never a stack trace
        from ..settings import settings

        if _STOPPED_BY:  # a stop signal interrupted a query: a stop, not a bug
            return _stopped()

        if settings().debug:
            raise
        print(f"kasuwa: unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
              "Nothing half-loaded was kept; please report this.", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Terminated):
        return _stopped()
    finally:
        from ..db import close_all

        close_all()
