"""The service connection the MageFlow-style functions use.

MageFlow keeps its Redis connection in global configuration; here one :class:`Client` plays that part. It is
made on first use from the environment like every client (``MAGEFLOW_SERVER``, ``MAGEFLOW_TOKEN``; see
docs/clients/defaults.md), or from :func:`configure`. The client opens its channel in whichever event loop
uses it.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import grpc

from ..client import Client

__all__ = ["configure", "get_client"]

_client: Optional[Client] = None


def configure(
    address: Optional[str] = None,
    token: Optional[str] = None,
    tls: Union[bool, grpc.ChannelCredentials, None] = None,
    **options: Any,
) -> Client:
    """Sets where the MageFlow-style functions connect, instead of the environment; ``options`` are the
    :class:`Client`'s (``timeout``, ``retry``, ``interceptors``, ``options``). Returns the new client (the
    previous one is dropped, not closed: it may belong to another event loop)."""
    global _client
    _client = Client(address, token, tls, **options)
    return _client


def get_client() -> Client:
    """The client in use, made from the environment on first use."""
    global _client
    if _client is None:
        _client = Client()
    return _client
