"""Progress display for the fit loop: a tqdm bar when tqdm is installed, plain lines otherwise.

tqdm (the optional extra `progress`) is imported here, when a bar is first made, never
when descent is imported.
"""
import sys
import time

_NOTE = "(install tqdm, the extra descent[progress], for a live progress bar)"
_noted = False


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class PlainProgress:
    """One line per epoch, printed at its end; on a terminal it is also rewritten in place
    (at most twice a second) while the epoch runs."""

    def __init__(self, total, description, stream=None):
        self.total, self.description = total, description
        self.stream = stream or sys.stdout
        self.count = 0
        self.postfix = ""
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_draw = 0.0

    def update(self, n, postfix):
        self.count += n
        self.postfix = postfix
        now = time.perf_counter()
        if self.live and now - self.last_draw > 0.5:
            self.last_draw = now
            self.stream.write(f"\r{self._line()}")
            self.stream.flush()

    def close(self, summary=None):
        self.stream.write(("\r" if self.live else "") + f"{self._line(summary)}\n")
        self.stream.flush()

    def _line(self, summary=None):
        return f"{self.description}: {self.count}/{self.total} {summary or self.postfix}"


class TqdmProgress:
    """A tqdm bar with the running loss and accuracy as its postfix."""

    def __init__(self, tqdm, total, description):
        self.bar = tqdm(total=total, desc=description, unit="batch", leave=True, dynamic_ncols=True)

    def update(self, n, postfix):
        self.bar.update(n)
        self.bar.set_postfix_str(postfix, refresh=False)

    def close(self, summary=None):
        if summary:
            self.bar.set_postfix_str(summary, refresh=False)
        self.bar.close()


class SilentProgress:
    def update(self, n, postfix):
        pass

    def close(self, summary=None):
        pass


def progress_bar(total, description, mode="auto"):
    """A progress display for one epoch of `total` batches.

    mode : 'auto' (tqdm if installed, else plain lines), 'tqdm', 'plain' or 'none'
    (True and False mean 'auto' and 'none').
    """
    global _noted
    mode = {True: "auto", False: "none", None: "none"}.get(mode, mode)
    if mode == "none":
        return SilentProgress()
    if mode in ("auto", "tqdm"):
        tqdm = _tqdm()
        if tqdm is not None:
            return TqdmProgress(tqdm, total, description)
        if mode == "tqdm":
            raise ImportError("progress_bar: tqdm is not installed (pip install 'descent[progress]')")
        if not _noted:
            _noted = True
            print(_NOTE)
    return PlainProgress(total, description)
