"""The client defaults shared by every language (docs/clients/defaults.md): address and token from the
environment, the unary deadline, opt-in retries of idempotent calls, and the jittered backoff."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Optional, Tuple, Union
from urllib.parse import urlsplit

import grpc

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_TIMEOUT",
    "RetryPolicy",
    "resolve_address",
    "resolve_token",
    "backoff_delay",
    "retry_worth",
]

DEFAULT_ADDRESS = "127.0.0.1:50051"
"""Where the client connects when neither an address nor ``MAGEFLOW_SERVER`` is given."""

DEFAULT_TIMEOUT = 30.0
"""Deadline in seconds of a unary call, covering every attempt (watches have none)."""

WATCH_INITIAL_DELAY = 0.1
WATCH_MAX_DELAY = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent unary calls (``GetSignature``, ``BatchGetSignatures``, ``ListSignatures``, and
    ``CreateSignature`` / ``RunSignature`` carrying a ``request_id``) on UNAVAILABLE, and on
    RESOURCE_EXHAUSTED when the status carries a ``google.rpc.RetryInfo``.

    ``max_attempts`` counts the first attempt. Delays start at ``initial_delay`` seconds, double, are capped
    at ``max_delay`` and jittered (each drawn from [d/2, d]); a longer ``RetryInfo.retry_delay`` is waited
    instead. The call's deadline covers every attempt.
    """

    max_attempts: int = 4
    initial_delay: float = 0.1
    max_delay: float = 5.0


def backoff_delay(failures: int, initial: float, cap: float) -> float:
    """The delay before retry number ``failures`` (1-based): doubling from ``initial``, capped, in [d/2, d]."""
    d: float = min(cap, initial * 2.0 ** max(0, failures - 1))
    return d * (0.5 + random.random() / 2)


def retry_worth(code: grpc.StatusCode, retry_delay: Optional[float]) -> bool:
    if code == grpc.StatusCode.UNAVAILABLE:
        return True
    return code == grpc.StatusCode.RESOURCE_EXHAUSTED and retry_delay is not None


def resolve_address(
    address: Optional[str], tls: Optional[Union[bool, grpc.ChannelCredentials]]
) -> Tuple[str, Union[bool, grpc.ChannelCredentials]]:
    """The gRPC target and TLS setting: ``address`` or ``MAGEFLOW_SERVER`` or the default.

    Accepts ``host:port`` or an ``http://`` / ``https://`` URL; ``https://`` turns TLS on unless ``tls`` says
    otherwise.
    """
    value = address or os.environ.get("MAGEFLOW_SERVER") or DEFAULT_ADDRESS
    url_tls: Optional[bool] = None
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server address {value!r}: expected host:port or an http(s):// URL")
        url_tls = parts.scheme == "https"
        port = parts.port or (443 if url_tls else 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        value = f"{host}:{port}"
    if tls is None:
        tls = bool(url_tls)
    return value, tls


def resolve_token(token: Optional[str]) -> Optional[str]:
    """``token``, else ``MAGEFLOW_TOKEN`` (an empty value means none)."""
    if token is None:
        token = os.environ.get("MAGEFLOW_TOKEN")
    return token or None
