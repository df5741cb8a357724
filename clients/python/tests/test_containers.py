"""MageFlow's ``chain`` and ``swarm`` through this package's ``mageflow`` module against the live service
(docs/containers.md); the worker side is played with the plain client."""

from __future__ import annotations

from typing import Iterator

import pytest

import mageflow_signatures.mageflow as mageflow
from mageflow_signatures import Client, MageflowError, Status

from .conftest import LiveServer


@pytest.fixture
def connected(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MAGEFLOW_SERVER", live_server.grpc_address)
    mageflow.configure()
    yield


async def test_chain_runs_its_steps_in_turn(live_server: LiveServer, connected: None) -> None:
    first = await mageflow.asign("fetch")
    second = await mageflow.asign("store", return_field_name="data")
    chained = await mageflow.chain([first, second.key], name="pipeline", tenant="t1")
    assert chained.task_name == "chain-task:pipeline"
    await chained.aio_run_no_wait({"id": 1})
    async with Client(live_server.grpc_address) as c:
        step = await c.load_signature(first.key)
        assert step.kwargs == {"tenant": "t1"}
        assert step.run is not None and step.run.attempt == 1
        assert (await c.load_signature(second.key)).run is None
        container = await c.load_container(chained.key)
        assert container.child_count == 2
        assert container.summary.pending == 2


async def test_swarm_takes_tasks_until_closed(live_server: LiveServer, connected: None) -> None:
    group = await mageflow.swarm([await mageflow.asign("a")], config={"max_concurrency": 2}, region="eu")
    added = await mageflow.add_tasks(group, [await mageflow.asign("b")])
    assert len(added) == 1
    await mageflow.close_swarm(group)
    with pytest.raises(MageflowError) as refused:
        await mageflow.add_tasks(group, [await mageflow.asign("c")])
    assert refused.value.reason == "SWARM_CLOSED"
    async with Client(live_server.grpc_address) as c:
        container = await c.load_container(group.key)
        assert container.closed and container.child_count == 2
        assert container.signature.task_status.status == Status.PENDING.value
        child = await c.load_signature(added[0])
        assert child.kwargs == {"region": "eu"}
