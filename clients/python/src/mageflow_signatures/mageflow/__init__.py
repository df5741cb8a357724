"""MageFlow's signature API over the MageFlow Signature Service.

A MageFlow program ports by changing its import::

    import mageflow                                    # before
    import mageflow_signatures.mageflow as mageflow    # after
    from mageflow.signature.status import SignatureStatus                        # before
    from mageflow_signatures.mageflow.signature.status import SignatureStatus    # after

    signature = await mageflow.asign("process-order", priority="high")
    await signature.aio_run_no_wait(OrderMessage(order_id=7))

The connection comes from the environment (``MAGEFLOW_SERVER``, ``MAGEFLOW_TOKEN``) or from
:func:`configure`. Where the service refuses what MageFlow allowed, the error says so (see
docs/clients/mageflow-python.md).
"""

from ..errors import MageflowError
from .connection import configure, get_client
from .signature.creator import (
    asign,
    delete_signature,
    interrupt,
    load_signature,
    lock_task,
    pause,
    remove,
    resume,
    resume_task,
    sign,
    suspend,
)
from .differences import DIFFERENCES
from .signature.container import InlineTask, add_tasks, chain, close_swarm, swarm
from .signature.model import TaskIdentifierType, TaskSignature
from .signature.status import PauseActionTypes, SignatureStatus, TaskStatus

__all__ = [
    "asign",
    "sign",
    "load_signature",
    "resume",
    "resume_task",
    "pause",
    "suspend",
    "interrupt",
    "remove",
    "delete_signature",
    "lock_task",
    "InlineTask",
    "chain",
    "swarm",
    "add_tasks",
    "close_swarm",
    "TaskSignature",
    "TaskIdentifierType",
    "TaskStatus",
    "SignatureStatus",
    "PauseActionTypes",
    "configure",
    "get_client",
    "DIFFERENCES",
    "MageflowError",
]
