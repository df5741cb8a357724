"""MageFlow's ``chain`` and ``swarm`` over the service's ContainerService (docs/containers.md)."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Union

from ...types import InlineTask
from ..connection import get_client
from ..differences import explained
from .model import TaskIdentifierType, TaskSignature

__all__ = ["chain", "swarm", "add_tasks", "close_swarm", "InlineTask"]

TaskLike = Union[TaskIdentifierType, TaskSignature]
# A child: an existing signature, or an InlineTask created with its chain or swarm.
ChildLike = Union[TaskLike, InlineTask]


def _key(t: TaskLike) -> str:
    return t if isinstance(t, str) else t.key


def _child(t: ChildLike) -> Union[str, InlineTask]:
    return t if isinstance(t, InlineTask) else _key(t)


def _keys(ts: Optional[Union[TaskLike, Iterable[TaskLike]]]) -> List[str]:
    if ts is None:
        return []
    if isinstance(ts, (str, TaskSignature)):
        return [_key(ts)]
    return [_key(t) for t in ts]


async def chain(
    tasks: Iterable[ChildLike],
    name: Optional[str] = None,
    error: Optional[TaskLike] = None,
    success: Optional[TaskLike] = None,
    **kwargs: Any,
) -> TaskSignature:
    """MageFlow's ``chain``: at least two signatures run one after another, each receiving the previous
    result; ``kwargs`` reach every step. A step is a signature or an :class:`InlineTask` created with the chain.
    Returns the chain's signature: ``await c.aio_run_no_wait(msg)``."""
    with explained():
        sig = await get_client().create_chain(
            [_child(t) for t in tasks], name=name or "", kwargs=kwargs, success_callbacks=_keys(success), error_callbacks=_keys(error)
        )
    return TaskSignature(sig)


async def swarm(tasks: Optional[Iterable[ChildLike]] = None, task_name: Optional[str] = None, **options: Any) -> TaskSignature:
    """MageFlow's ``swarm``: tasks run in parallel under ``config`` (``max_concurrency``,
    ``stop_after_n_failures``, ``max_tasks``, ``send_swarm_message_to_return_field``), as a dict or keyword
    options; ``success_callbacks``/``error_callbacks``, ``is_swarm_closed``; every other option is a kwarg."""
    config = dict(options.pop("config", None) or {})
    for name in ("max_concurrency", "stop_after_n_failures", "max_tasks", "send_swarm_message_to_return_field"):
        if name in options:
            config[name] = options.pop(name)
    success = options.pop("success_callbacks", None)
    error = options.pop("error_callbacks", None)
    closed = bool(options.pop("is_swarm_closed", False))
    kwargs = dict(options.pop("kwargs", None) or {})
    kwargs.update(options)
    with explained():
        sig = await get_client().create_swarm(
            [_child(t) for t in tasks or []],
            max_concurrency=int(config.get("max_concurrency") or 1),
            stop_after_n_failures=int(config.get("stop_after_n_failures") or 0),
            max_tasks=int(config.get("max_tasks") or 0),
            send_message_to_children=bool(config.get("send_swarm_message_to_return_field", True)),
            close=closed,
            name=task_name or "",
            kwargs=kwargs,
            success_callbacks=_keys(success),
            error_callbacks=_keys(error),
        )
    return TaskSignature(sig)


async def add_tasks(swarm_signature: TaskLike, tasks: Iterable[ChildLike], close: bool = False) -> List[str]:
    """MageFlow's ``swarm.add_tasks`` (signatures or :class:`InlineTask`); a closed swarm refuses
    (``SWARM_CLOSED``) instead of taking them."""
    with explained():
        return await get_client().add_swarm_tasks(_key(swarm_signature), [_child(t) for t in tasks], close=close)


async def close_swarm(swarm_signature: TaskLike) -> None:
    """MageFlow's ``close_swarm``: the swarm ends once every child has ended."""
    with explained():
        await get_client().close_swarm(_key(swarm_signature))
