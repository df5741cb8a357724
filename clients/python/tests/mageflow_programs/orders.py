"""A MageFlow program as a MageFlow user writes it (only MageFlow's documented API, imported as `mageflow`).

tests/test_mageflow_port.py runs it against the service after changing its import line and nothing else.
`main()` returns what the program observed, so the test can hold it to what MageFlow's reference describes.
"""

import mageflow
from mageflow.signature.status import PauseActionTypes, SignatureStatus
from pydantic import BaseModel


class OrderMessage(BaseModel):
    order_id: int
    items: list[str]


class OrderInput(BaseModel):
    order_id: int
    items: list[str]
    priority: str


async def main(another_process) -> dict:
    """`another_process(key)` tries to change and to delete the signature as a different program would
    (without our lock), and returns what it got."""
    seen: dict = {}

    # Callbacks first, then the task that names them.
    notify = await mageflow.asign("notify-customer", channel="email")
    report = await mageflow.asign("report-failure")
    order = await mageflow.asign(
        "process-order",
        priority="high",
        model_validators=OrderInput,
        success_callbacks=[notify],
        error_callbacks=[report.key],
    )
    seen["order"] = order

    # Suspend before it starts: a run asked for now waits; resume restores the status and runs it.
    await order.suspend()
    seen["after_suspend"] = order.task_status.status
    seen["run_while_suspended"] = await order.aio_run_no_wait(OrderMessage(order_id=7, items=["book"]))
    await order.resume()
    seen["after_resume"] = order.task_status.status
    seen["run"] = (await mageflow.load_signature(order.key)).signature.run

    # A second task: pause it through the key helper and the instance method.
    cleanup = await mageflow.asign("cleanup", kwargs={"dry_run": True})
    await mageflow.pause(cleanup.key)
    seen["cleanup_paused"] = (await mageflow.load_signature(cleanup.key)).task_status
    await mageflow.resume(cleanup.key)
    await cleanup.pause_task(PauseActionTypes.INTERRUPT)
    seen["cleanup_interrupted"] = cleanup.task_status.status
    await mageflow.resume_task(cleanup.key)

    # While locked, the holder changes it and nobody else can.
    async with mageflow.lock_task(cleanup.key) as locked:
        await locked.suspend()
        seen["changed_while_locked"] = await another_process(cleanup.key)
    seen["after_lock"] = (await mageflow.load_signature(cleanup.key)).task_status.status

    # Remove a task and its callbacks.
    audit_ok = await mageflow.asign("audit", step="ok")
    audit_err = await mageflow.asign("audit", step="err")
    archive = await mageflow.asign("archive", success_callbacks=[audit_ok], error_callbacks=[audit_err])
    await archive.remove(with_error=True, with_success=True)
    seen["removed"] = [await mageflow.load_signature(s.key) for s in (archive, audit_ok, audit_err)]

    # Delete one outright.
    await mageflow.TaskSignature.delete_signature(cleanup.key)
    seen["deleted"] = await mageflow.load_signature(cleanup.key)
    seen["status_enum"] = SignatureStatus
    return seen
