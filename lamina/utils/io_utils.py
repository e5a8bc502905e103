"""Where messages go: the terminal (interactive logging, the default) or Python's logging
module (logger "lamina", level INFO), as keras.config.disable_interactive_logging() does."""

import sys

_INTERACTIVE = [True]


def _logger():
    import logging  # noqa: PLC0415  (only when interactive logging is off; keeps import lamina fast)

    return logging.getLogger("lamina")


def enable_interactive_logging():
    _INTERACTIVE[0] = True


def disable_interactive_logging():
    """Send progress bars and messages to logging.getLogger("lamina") instead of stdout."""
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled():
    return _INTERACTIVE[0]


def print_msg(message, line_break=True):
    if _INTERACTIVE[0]:
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        _logger().info(message)


class LogWriter:
    """A file-like object writing whole lines to the "lamina" logger (never a terminal)."""

    def __init__(self):
        self._buffer = ""

    def isatty(self):
        return False

    def write(self, text):
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                _logger().info(line.strip("\r"))

    def flush(self):
        if self._buffer.strip():
            _logger().info(self._buffer.strip("\r"))
        self._buffer = ""
