"""MageFlow's ``mageflow.signature`` modules, at the same paths."""
