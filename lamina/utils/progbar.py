"""`Progbar`: Keras-style progress bar, redrawn at most every `interval` seconds.

On a terminal the bar is updated in place; when output is not a terminal (a log file, a
notebook capture) only the final line of each bar is printed, so logs are not flooded
with carriage returns.
"""
import sys
import time

from lamina.utils import io_utils


def format_value(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"


def format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def format_per_unit(seconds, unit):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """update(current, values) shows `current/target`, the bar, ETA/elapsed and values.

    values: [(name, value)]; names in `stateful_metrics` (all by default) are shown as
    given, others are averaged over the updates.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.1, stateful_metrics=None,
                 unit_name="step", file=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = None if stateful_metrics is None else set(stateful_metrics)
        self.unit_name = unit_name
        if file is None and not io_utils.is_interactive_logging_enabled():
            file = io_utils.LogWriter()
        self.file = file or sys.stdout
        isatty = getattr(self.file, "isatty", None)
        self.dynamic = bool(isatty and isatty())
        self._start = time.monotonic()
        self._last_render = 0.0
        self._sums = {}
        self._order = []
        self._seen = 0
        self._drawn_width = 0
        self._finalized = False

    def update(self, current, values=None, finalize=None):
        """Record progress; draw if `interval` elapsed (or at the end)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.monotonic()
        if not finalize and (self.verbose != 1 or not self.dynamic or now - self._last_render < self.interval):
            self._seen = current
            if values and self.stateful_metrics is not None:
                self._accumulate(values, current)
            return
        self._seen = current
        if values:
            self._accumulate(values, current)
        self._last_render = now
        self._render(current, now, finalize)

    def add(self, n, values=None):
        self.update(self._seen + n, values)

    def _accumulate(self, values, current):
        step = max(current - getattr(self, "_last_current", 0), 1)
        self._last_current = current
        for k, v in (values.items() if hasattr(values, "items") else values):
            if k not in self._order:
                self._order.append(k)
            if self.stateful_metrics is None or k in self.stateful_metrics:
                self._sums[k] = (v, None)
            else:
                total, count = self._sums.get(k, (0.0, 0))
                self._sums[k] = (total + float(v) * step, count + step)

    def _values_text(self):
        parts = []
        for k in self._order:
            v, count = self._sums[k]
            parts.append(f"{k}: {format_value(v if count is None else v / max(count, 1))}")
        return " - ".join(parts)

    def _render(self, current, now, finalize):
        if self.verbose == 0 or self._finalized:
            return
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        values = self._values_text()
        if self.verbose == 2:
            if not finalize:
                return
            line = f"{current}/{self.target} - {format_time(elapsed)} - {format_per_unit(per_unit, self.unit_name)}"
        else:
            if self.target is not None:
                n = len(str(self.target))
                done = min(int(self.width * current / self.target), self.width) if self.target else self.width
                bar = "━" * done + "─" * (self.width - done)
                head = f"{current:>{n}}/{self.target} {bar}"
            else:
                head = f"{current}"
            if finalize:
                timing = f"{format_time(elapsed)} {format_per_unit(per_unit, self.unit_name)}"
            else:
                eta = per_unit * (self.target - current) if self.target else 0.0
                timing = f"ETA {format_time(eta)} {format_per_unit(per_unit, self.unit_name)}"
            line = f"{head} {timing}"
        if values:
            line += f" - {values}"
        if self.verbose == 1 and self.dynamic:
            pad = max(self._drawn_width - len(line), 0)
            self.file.write("\r" + line + " " * pad + ("\n" if finalize else ""))
            self._drawn_width = len(line)
        elif finalize:
            self.file.write(line + "\n")
        self.file.flush()
        if finalize:
            self._finalized = True
