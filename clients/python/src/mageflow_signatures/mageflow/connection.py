"""The service connection the MageFlow-style functions use.

MageFlow keeps its Redis connection in global configuration; here a :class:`Client` plays that part. It is
made from the environment on first use (``MAGEFLOW_GRPC_ADDRESS``, ``MAGEFLOW_TOKEN``, ``MAGEFLOW_TLS``,
``MAGEFLOW_CA``), or from :func:`configure`. gRPC's asyncio channels belong to one event loop, so each
running loop gets its own client.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from dataclasses import dataclass
from typing import Optional, Union

import grpc

from ..client import Client

__all__ = ["configure", "get_client", "DEFAULT_ADDRESS"]

DEFAULT_ADDRESS = "127.0.0.1:50051"


@dataclass(frozen=True)
class _Settings:
    address: str
    token: Optional[str]
    tls: Union[bool, grpc.ChannelCredentials]
    timeout: Optional[float]


_settings: Optional[_Settings] = None
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Client]" = weakref.WeakKeyDictionary()


def configure(
    address: Optional[str] = None,
    token: Optional[str] = None,
    tls: Union[bool, grpc.ChannelCredentials, None] = None,
    *,
    timeout: Optional[float] = 30.0,
) -> None:
    """Sets where the MageFlow-style functions connect (instead of the environment).

    Arguments left ``None`` are read from the environment as on first use. Clients made before are not
    closed (they belong to their event loops); later calls use the new settings.
    """
    global _settings
    env = _from_env()
    _settings = _Settings(
        address=address or env.address,
        token=token if token is not None else env.token,
        tls=tls if tls is not None else env.tls,
        timeout=timeout,
    )
    _clients.clear()


def get_client() -> Client:
    """The client of the running event loop, made on first use."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        s = _settings or _from_env()
        client = Client(s.address, token=s.token, tls=s.tls, timeout=s.timeout)
        _clients[loop] = client
    return client


def _from_env() -> _Settings:
    ca = os.environ.get("MAGEFLOW_CA")
    tls: Union[bool, grpc.ChannelCredentials] = os.environ.get("MAGEFLOW_TLS", "").lower() in ("1", "true", "yes")
    if ca:
        with open(ca, "rb") as f:
            tls = grpc.ssl_channel_credentials(root_certificates=f.read())
    return _Settings(
        address=os.environ.get("MAGEFLOW_GRPC_ADDRESS") or DEFAULT_ADDRESS,
        token=os.environ.get("MAGEFLOW_TOKEN") or None,
        tls=tls,
        timeout=30.0,
    )
