"""A Hatchet worker whose tasks report to the MageFlow Signature Service (docs/clients/mageflow-python.md).

Run it with the engine's settings (HATCHET_CLIENT_TOKEN, HATCHET_CLIENT_HOST_PORT, HATCHET_CLIENT_TLS_STRATEGY,
...) and the service's address (MAGEFLOW_SERVER, default 127.0.0.1:50051):

    python examples/python/worker.py
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Dict

from hatchet_sdk import Context, EmptyModel, Hatchet, NonRetryableException
from pydantic import BaseModel

from mageflow_signatures.hatchet import with_signature

hatchet = Hatchet()


class AddInput(BaseModel):
    a: int
    b: int


class AddOutput(BaseModel):
    sum: int


@hatchet.task(name="py-add", input_validator=AddInput)
@with_signature
async def add(input: AddInput, ctx: Context) -> AddOutput:
    print(f"ran py-add {ctx.additional_metadata.get('task_id')}", flush=True)
    return AddOutput(sum=input.a + input.b)


@hatchet.task(name="py-record")
@with_signature
def record(input: EmptyModel, ctx: Context) -> Dict[str, Any]:
    """A plain function (runs in a thread): returns what it received, e.g. a callback's
    `mageflow_results` or `mageflow_error`."""
    return input.model_dump()  # EmptyModel keeps every field it is given


@hatchet.task(name="py-flaky", retries=2)
@with_signature
async def flaky(input: EmptyModel, ctx: Context) -> Dict[str, Any]:
    if input.model_dump().get("fatal"):
        raise NonRetryableException("cannot work with this input")  # final at once
    raise RuntimeError(f"attempt {ctx.attempt_number} failed")  # final on the last of 3 attempts


@hatchet.task(name="py-block", execution_timeout="5m")
@with_signature
async def block(input: EmptyModel, ctx: Context) -> Dict[str, Any]:
    """Runs until the run is cancelled (an interrupt): the cancellation is not reported."""
    print(f"blocking {ctx.additional_metadata.get('task_id')}", flush=True)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 300:
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        print(f"cancelled {ctx.additional_metadata.get('task_id')}", flush=True)
        raise
    return {}


def main() -> None:
    slots = int(os.environ.get("WORKER_SLOTS", "1"))
    worker = hatchet.worker("python-signatures", slots=slots, workflows=[add, record, flaky, block])
    worker.start()


if __name__ == "__main__":
    main()
