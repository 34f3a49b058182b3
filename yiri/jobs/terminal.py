"""The progress of a job drawn in a terminal: a bar redrawn in place on a terminal, a
line every few seconds in a log or a pipe."""

from __future__ import annotations

import time

WIDTH = 30


class Bar:
    """``Bar(stream)(done, total, message)``; ``stream`` is a command's ``self.stdout``."""

    def __init__(self, stream, *, every: float = 2.0):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every = 0.1 if self.tty else every
        self._last = 0.0
        self._message = None
        self._open = False
        self._shown = None

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text, ending="")
        except TypeError:
            self.stream.write(text)

    @staticmethod
    def line(done: int, total: int, message: str = "") -> str:
        pct = 100 * done // total if total else 100
        filled = WIDTH * done // total if total else WIDTH
        bar = "#" * filled + "-" * (WIDTH - filled)
        return f"[{bar}] {done}/{total} ({pct} %)" + (f" {message}" if message else "")

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        finished = total and done >= total
        if message != self._message and self._open and self.tty:
            self._write("\n")
            self._open = False
        if (done, total, message) == self._shown or not (
                finished or message != self._message or now - self._last >= self.every):
            return
        self._last, self._message, self._shown = now, message, (done, total, message)
        if self.tty:
            self._write("\r" + self.line(done, total, message))
            self._open = not finished
            if finished:
                self._write("\n")
        else:
            self._write(self.line(done, total, message) + "\n")

    def close(self) -> None:
        if self._open:
            self._write("\n")
            self._open = False
