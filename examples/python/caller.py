"""A caller: signs `py-add` with a success and an error callback, runs it, and waits for the outcome
(docs/clients/mageflow-python.md). Needs the service (MAGEFLOW_SERVER) and examples/python/worker.py.

    python examples/python/caller.py
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

import mageflow_signatures.mageflow as mageflow
from mageflow_signatures.mageflow.signature.status import SignatureStatus


class AddInput(BaseModel):
    a: int
    b: int


async def main() -> None:
    on_success = await mageflow.asign("py-record", note="added")
    on_error = await mageflow.asign("py-record", note="failed")
    add = await mageflow.asign(
        "py-add", model_validators=AddInput, success_callbacks=[on_success], error_callbacks=[on_error]
    )
    run = await add.aio_run_no_wait(AddInput(a=2, b=3))
    print("dispatched", add.key, run.dispatch_state.name, run.run_id)

    while add.task_status.status not in (SignatureStatus.DONE, SignatureStatus.FAILED):
        await asyncio.sleep(0.2)
        await add.reload()
    print(add.task_status.status.value, add.signature.run.result if add.signature.run else None)

    callback = await mageflow.load_signature(on_success.key)
    while callback is not None and callback.task_status.status is not SignatureStatus.DONE:
        await asyncio.sleep(0.2)
        callback = await mageflow.load_signature(on_success.key)
    if callback is not None and callback.signature.run is not None:
        print("success callback got", callback.signature.run.last_input)


if __name__ == "__main__":
    asyncio.run(main())
