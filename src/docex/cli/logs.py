"""Logging for command-line runs: the user's terminal gets verdicts, not library chatter.

pyHanko and its certificate validator log warnings with ``exc_info`` for documents they
find odd; without a handler, Python's last-resort handler would print those tracebacks
on stderr. By default only docex's own errors reach stderr, one line each, without the
traceback; ``--debug`` shows every library's messages with full details.
"""

from __future__ import annotations

import logging
import sys

_HANDLER_NAME = "docex-cli"


class _OneLine(logging.Formatter):
    """``docex: <message>`` with no traceback: the report already says what happened."""

    def format(self, record: logging.LogRecord) -> str:
        return f"docex: {record.getMessage()} (run with --debug for details)"


class _Stderr(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record arrives.

    A stream captured at setup would outlive a test runner's or a worker's replacement
    of stderr and then write to a closed file.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logging(*, debug: bool) -> None:
    """Set up logging for one CLI process; calling it again replaces the earlier setup."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = _Stderr()
    handler.set_name(_HANDLER_NAME)
    if debug:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.setLevel(logging.DEBUG)
        root.setLevel(logging.DEBUG)
    else:
        handler.setFormatter(_OneLine())
        handler.setLevel(logging.ERROR)
        # Library records stop here: a handler on the root keeps the last-resort
        # handler (which prints tracebacks) out, and this filter keeps them off stderr.
        handler.addFilter(logging.Filter("docex"))
        root.setLevel(logging.WARNING)
    root.addHandler(handler)
