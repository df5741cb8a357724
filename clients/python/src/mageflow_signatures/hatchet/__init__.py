"""Hatchet worker support: :func:`with_signature` wraps a ``hatchet-sdk`` task function so its runs are
reported to the MageFlow Signature Service. Needs ``hatchet-sdk`` (the ``hatchet`` extra)."""

from .worker import TASK_ID_METADATA, WithSignature, to_json, with_signature

__all__ = ["with_signature", "WithSignature", "TASK_ID_METADATA", "to_json"]
