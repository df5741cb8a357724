"""MageFlow's status vocabulary, mapped onto the service's statuses."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ...types import Status

__all__ = ["SignatureStatus", "PauseActionTypes", "TaskStatus"]


class SignatureStatus(str, enum.Enum):
    """MageFlow's ``SignatureStatus`` (the same string values)."""

    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"
    DONE = "done"
    SUSPENDED = "suspended"
    INTERRUPTED = "interrupted"
    CANCELED = "canceled"

    @classmethod
    def from_status(cls, status: Status) -> "SignatureStatus":
        """The MageFlow status of a service status (UNSPECIFIED, "never changed", reads as PENDING)."""
        if status is Status.UNSPECIFIED:
            return cls.PENDING
        return cls(status.name.lower())

    def to_status(self) -> Status:
        return Status[self.name]


class PauseActionTypes(str, enum.Enum):
    """MageFlow's pause kinds: ``SUSPEND`` ("soft") holds a task before it starts, ``INTERRUPT`` ("hard")
    also stops a running one."""

    SUSPEND = "soft"
    INTERRUPT = "hard"


@dataclass(frozen=True)
class TaskStatus:
    """MageFlow's ``TaskStatus``: the current and the previous status, and the engine run id."""

    status: SignatureStatus = SignatureStatus.PENDING
    last_status: SignatureStatus = SignatureStatus.PENDING
    worker_task_id: str = ""

    def is_canceled(self) -> bool:
        return self.status is SignatureStatus.CANCELED

    def should_run(self) -> bool:
        return self.status in (SignatureStatus.PENDING, SignatureStatus.ACTIVE)
