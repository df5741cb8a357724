"""Where the service refuses what MageFlow allowed: the error is the service's own (same class, code and
``reason``), with a sentence saying what MageFlow did and what to do instead (also in ``.difference``).
The table of every difference is in docs/clients/mageflow-python.md."""

from __future__ import annotations

import contextlib
from typing import Dict, Iterator

from ..errors import MageflowError

__all__ = ["DIFFERENCES", "explained"]

DIFFERENCES: Dict[str, str] = {
    "TASK_ALREADY_RUNNING": (
        "MageFlow marked a running task SUSPENDED and let it run on; the service refuses to suspend a task a "
        "worker has started: interrupt() it, or pause_task(PauseActionTypes.INTERRUPT)"
    ),
    "ALREADY_DISPATCHED": (
        "MageFlow started another Hatchet run of the same signature; the service runs a signature once: "
        "asign() a new signature for another run"
    ),
    "INVALID_TRANSITION": (
        "MageFlow changed the status of a task whatever its status; the service allows only the transitions "
        "of its lifecycle (a DONE, FAILED or CANCELED signature never changes again)"
    ),
    "SIGNATURE_REMOVED": (
        "MageFlow deleted a removed signature at once; the service keeps it readable until it expires but "
        "refuses to change or run it"
    ),
    "SIGNATURE_LOCKED": (
        "MageFlow waited for the lock; the service refuses a change while another holder has the lease: "
        "make the change inside that lock_task() block, or retry after the lease's expire_time"
    ),
    "CALLBACKS_NOT_FOUND": (
        "MageFlow stored callback keys unchecked; the service requires every callback signature to exist "
        "(asign the callbacks first)"
    ),
    "SIGNATURE_NOT_FOUND": (
        "the signature does not exist or expired (MageFlow's helpers raised KeyNotFound or ignored it); "
        "load_signature() returns None for it"
    ),
}


@contextlib.contextmanager
def explained() -> Iterator[None]:
    """Adds the MageFlow difference to a service error raised inside the block."""
    try:
        yield
    except MageflowError as e:
        text = DIFFERENCES.get(e.reason or "")
        if text and not hasattr(e, "difference"):
            setattr(e, "difference", text)
            e.message = f"{e.message} ({text})"
            e.args = (e.message,)
        raise
