"""No orphans: a child process that must not outlive its parent asks the kernel to stop it.

A gunicorn worker whose master was killed -9 would keep the port; an RQ work-horse whose
job worker was killed -9 would go on with a job that the registry of started jobs hands
to the restarted worker as well, so the same video would be indexed twice at once.

Bottom module: imports nothing of the project.
"""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int, sig: int = signal.SIGTERM) -> None:
    """Have ``sig`` sent to this process when its parent (pid ``parent``) dies; exit now
    if it already has (the parent may die between the fork and this call)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent:
        os._exit(0)
