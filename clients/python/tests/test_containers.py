"""MageFlow's ``chain`` and ``swarm`` through this package's ``mageflow`` module against the live service
(docs/containers.md); the worker side is played with the plain client."""

from __future__ import annotations

from typing import Iterator

import grpc
import pytest

import mageflow_signatures.mageflow as mageflow
from mageflow_signatures import Client, InlineTask, MageflowError, Status

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


async def test_inline_tasks_are_created_with_their_chain_and_swarm(live_server: LiveServer, connected: None) -> None:
    existing = await mageflow.asign("fetch")
    chained = await mageflow.chain([existing, mageflow.InlineTask("store", kwargs={"table": "t"}, return_field_name="data")], tenant="t1")
    async with Client(live_server.grpc_address) as c:
        container = await c.load_container(chained.key)
        assert container.child_count == 2
        step = await c.load_signature(container.child_keys[1])
        assert step.task_name == "store" and step.return_field_name == "data"
        assert step.kwargs == {"table": "t", "tenant": "t1"}
        assert step.container_key == chained.key

        group = await mageflow.swarm([InlineTask("child", kwargs={"i": 0})], config={"max_concurrency": 2})
        added = await mageflow.add_tasks(group, [InlineTask("child", kwargs={"i": 1}), await mageflow.asign("other")], close=True)
        assert len(added) == 2
        children = [await c.load_signature(k) for k in (await c.load_container(group.key)).child_keys]
        assert [s.task_name for s in children] == ["child", "child", "other"]
        assert [s.kwargs for s in children[:2]] == [{"i": 0}, {"i": 1}]

        with pytest.raises(MageflowError) as refused:
            await c.create_chain([InlineTask("only-one")])
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
