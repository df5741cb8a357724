"""The client scenario (scenario.py) in-process, against a live server started by the test."""

from __future__ import annotations

import pytest

from .conftest import LiveServer
from .scenario import scenario


async def test_scenario(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGEFLOW_SERVER", live_server.grpc_address)
    monkeypatch.delenv("MAGEFLOW_TOKEN", raising=False)
    await scenario()
