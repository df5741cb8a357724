"""The example of docs/clients/python.md, run verbatim twice in a row against a live server (the second run
must not trip over what the first left behind)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import REPO_ROOT, LiveServer

DOC = REPO_ROOT / "docs" / "clients" / "python.md"


def example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("\n## Example\n") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under '## Example' in {DOC}"
    return match.group(1)


def test_the_documented_example_runs_twice(live_server: LiveServer, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(example(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAGEFLOW_")}
    env["MAGEFLOW_SERVER"] = live_server.grpc_address
    for run in (1, 2):
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"run {run}:\n{done.stdout}\n{done.stderr}"
        assert "SIGNATURE_LOCKED" in done.stdout, done.stdout
