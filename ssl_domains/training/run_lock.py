"""One writer per run directory.

Two processes training into one run would interleave checkpoints and logs. The first
takes an exclusive `flock` on `RUN/.lock` and writes its pid there; the kernel drops
the lock when that process dies, however it dies, so a lock left by a killed process
is never mistaken for a live one. A second process is refused, naming the pid that
holds the run.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from ssl_domains.errors import UserError

LOCK = ".lock"


class RunInUse(UserError):
    """Another live process holds the run directory."""


class RunLock:
    """Hold `RUN/.lock` for the life of this object (or of the process).

    Examples:

    ```python
    from ssl_domains.training.run_lock import RunLock

    with RunLock("runs/finance-mlm-20261206-101500", report=print):
        ...  # train; a second process on the same run gets RunInUse
    ```
    """

    def __init__(self, run: str | Path, report=print):
        self.path = Path(run) / LOCK
        self.report = report
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunInUse(
                f"run directory {self.path.parent} is in use by {holder}; "
                "wait for it to finish or stop it first"
            ) from None
        stale = os.pread(fd, 256, 0).decode(errors="replace").strip()
        if stale:
            run = self.path.parent
            self.report(f"taking over the lock of {run} from {stale}, gone")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # a clean exit leaves no stale holder behind
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
