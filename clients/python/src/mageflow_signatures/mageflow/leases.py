"""The leases taken by ``lock_task`` in the current context: operations on a key whose lease this context
holds carry its ``lock_id`` by themselves, as MageFlow's calls inside its lock needed nothing extra."""

from __future__ import annotations

import contextvars
from typing import Dict, Mapping, Optional

__all__ = ["held_lock_id", "hold", "release"]

_held: "contextvars.ContextVar[Mapping[str, str]]" = contextvars.ContextVar("mageflow_leases", default={})


def held_lock_id(key: str) -> Optional[str]:
    return _held.get().get(key)


def hold(key: str, lock_id: str) -> "contextvars.Token[Mapping[str, str]]":
    leases: Dict[str, str] = dict(_held.get())
    leases[key] = lock_id
    return _held.set(leases)


def release(token: "contextvars.Token[Mapping[str, str]]") -> None:
    _held.reset(token)
