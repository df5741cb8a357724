"""MageFlow's ``model_validators`` and run messages as the JSON the service stores."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

__all__ = ["input_schema_of", "message_json", "task_name_of", "validator_of_task"]


def input_schema_of(model_validators: Any) -> Optional[Dict[str, Any]]:
    """The JSON Schema of a pydantic model class (``model_json_schema()``), of a pydantic ``TypeAdapter``
    (``json_schema()``), or a JSON Schema given as a mapping; ``None`` for ``None``."""
    if model_validators is None:
        return None
    if isinstance(model_validators, Mapping):
        return dict(model_validators)
    for method in ("model_json_schema", "json_schema"):
        fn = getattr(model_validators, method, None)
        if callable(fn):
            schema = fn()
            if isinstance(schema, Mapping):
                return dict(schema)
    raise TypeError(
        "model_validators must be a pydantic model class, a pydantic TypeAdapter or a JSON Schema mapping, "
        f"got {type(model_validators).__name__}"
    )


def message_json(msg: Any) -> Dict[str, Any]:
    """A run message as a JSON object: a pydantic model (``model_dump(mode="json")``), a mapping, or None."""
    if msg is None:
        return {}
    dump = getattr(msg, "model_dump", None)
    if callable(dump):
        data = dump(mode="json")
    else:
        data = msg
    if not isinstance(data, Mapping):
        raise TypeError(f"a run message must be a pydantic model or a mapping, got {type(msg).__name__}")
    return dict(data)


def task_name_of(task: Any) -> str:
    """The task name of a name or of a Hatchet task object (its ``name``, as MageFlow takes it)."""
    if isinstance(task, str):
        return task
    name = getattr(task, "name", None)
    if isinstance(name, str) and name:
        return name
    raise TypeError(f"a task must be a task name or a Hatchet task object with a name, got {type(task).__name__}")


def validator_of_task(task: Any) -> Any:
    """The input model of a Hatchet task object (``input_validator_type``, else ``input_validator``)."""
    for attr in ("input_validator_type", "input_validator"):
        try:
            value = getattr(task, attr, None)
        except Exception:  # a property of a task without one may raise
            value = None
        if value is not None:
            return value
    return None
