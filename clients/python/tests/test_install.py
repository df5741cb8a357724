"""The built distributions, installed as users install them: scripts/release-python.sh builds the sdist and
the wheel; each goes into a fresh venv in a temporary folder (no PYTHONPATH, no access to the checkout), with
its dependencies from the package index, and the scenario (scenario.py, copied next to it) runs there
against a live server. Three environments:

- the wheel on the oldest runtimes the package allows (protobuf 6.30.0, grpcio 1.72.2),
- the sdist with the newest runtimes (protobuf 7),
- the wheel together with MageFlow and the Hatchet SDK it pins (`mageflow[hatchet]`), importing all,
- the wheel together with the current release of the Hatchet SDK (`hatchet-sdk`), importing both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from .conftest import REPO_ROOT, LiveServer

HERE = Path(__file__).resolve().parent
MAGEFLOW_WITH_HATCHET = "mageflow[hatchet]==0.3.5"
HATCHET_SDK = "hatchet-sdk==1.43.1"

CHECK = """
import importlib.metadata as md, os, sys, warnings
warnings.simplefilter("error")  # the generated code must load without a version warning
import mageflow_signatures
from mageflow_signatures._gen.mageflow.v1 import signature_service_pb2_grpc, worker_service_pb2_grpc
here = os.path.realpath(mageflow_signatures.__file__)
assert here.startswith(os.path.realpath(sys.prefix)), here
assert not here.startswith(os.path.realpath(sys.argv[1])), here
warnings.resetwarnings()  # the others' own warnings are theirs
for extra in sys.argv[2:]:
    __import__(extra)
print("installed:", here, "protobuf", md.version("protobuf"), "grpcio", md.version("grpcio"),
      *[f"{d} {md.version(d)}" for d in ("mageflow", "hatchet-sdk") if f"{d.replace('-', '_')}" in sys.modules])
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "release-python.sh"), str(out)], check=True, cwd=REPO_ROOT)
    wheels = list(out.glob("mageflow_signatures-*.whl"))
    sdists = list(out.glob("mageflow_signatures-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def clean_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "MAGEFLOW_"))}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


CASES = {
    "wheel-oldest-runtime": ("wheel", ["protobuf==6.30.0", "grpcio==1.72.2"], []),
    "sdist-newest-runtime": ("sdist", [], []),
    "wheel-with-mageflow-and-its-hatchet": (
        "wheel", [MAGEFLOW_WITH_HATCHET], ["mageflow", "hatchet_sdk", "mageflow_signatures.mageflow"]
    ),
    "wheel-with-current-hatchet-sdk": (
        "wheel", [HATCHET_SDK], ["hatchet_sdk", "mageflow_signatures.hatchet", "mageflow_signatures.mageflow"]
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_installed_package_runs_the_scenario(
    case: str, dist: Dict[str, Path], live_server: LiveServer, tmp_path: Path
) -> None:
    kind, pins, imports = CASES[case]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, cwd=tmp_path, env=clean_env())
    python = str(venv / "bin" / "python")
    install: List[str] = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(dist[kind]), *pins]
    subprocess.run(install, check=True, cwd=tmp_path, env=clean_env())
    shutil.copy(HERE / "scenario.py", tmp_path / "scenario.py")
    env = clean_env(MAGEFLOW_SERVER=live_server.grpc_address)
    checked = subprocess.run(
        [python, "-c", CHECK, str(REPO_ROOT), *imports], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    print(case, checked.stdout.strip())
    ran = subprocess.run([python, "scenario.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "scenario: passed" in ran.stdout


def test_the_version_is_the_repository_version() -> None:
    """One version for every artifact: the package.json of the repository (scripts/release-go.sh tags the Go
    module with it too)."""
    import json

    from mageflow_signatures import __version__

    assert __version__ == json.loads((REPO_ROOT / "package.json").read_text())["version"]
