"""Starts a live server for the scenario tests: `tsx src/main.ts serve --port 0 --http-port 0` in the
repository root (embedded in-memory store, recording dispatcher). It prints `grpc=127.0.0.1:<port>` once
listening."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest

REPO_ROOT = Path(os.environ.get("MAGEFLOW_REPO_ROOT", Path(__file__).resolve().parents[3]))
SERVER_ENTRY = REPO_ROOT / "src" / "main.ts"
START_TIMEOUT = float(os.environ.get("MAGEFLOW_SERVER_START_TIMEOUT", "60"))


class LiveServer:
    def __init__(self, grpc_address: str, http_address: str, output: List[str]) -> None:
        self.grpc_address = grpc_address
        self.http_address = http_address
        self.output = output


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    if not SERVER_ENTRY.exists():
        raise RuntimeError(f"{SERVER_ENTRY} is missing: the live scenario needs the server")
    tsx = REPO_ROOT / "node_modules" / ".bin" / "tsx"
    cmd = [str(tsx)] if tsx.exists() else ["npx", "tsx"]
    cmd += ["src/main.ts", "serve", "--port", "0", "--http-port", "0"]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    output: List[str] = []
    found = threading.Event()
    addresses: dict = {}

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line.rstrip("\n"))
            g = re.search(r"grpc=(\S+:\d+)", line)
            h = re.search(r"http=(\S+:\d+)", line)
            if g and not found.is_set():
                addresses["grpc"] = g.group(1)
                addresses["http"] = h.group(1) if h else ""
                found.set()
        found.set()  # EOF: the server exited

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while not found.wait(0.1):
        if time.monotonic() > deadline:
            break
    try:
        if "grpc" not in addresses:
            tail = "\n".join(output[-40:])
            raise RuntimeError(f"the server did not report grpc=<address> (exit code {proc.poll()}):\n{tail}")
        yield LiveServer(addresses["grpc"], addresses["http"], output)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
