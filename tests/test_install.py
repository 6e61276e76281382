"""llmkg as a user installs it: the wheel in a fresh virtual environment, run in a folder
outside the checkout (init -> import -> build -> query -> export -> queries)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(cmd, cwd, env, timeout=600):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel built from this checkout (dependencies from PyPI)."""
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMKG_", "PYTHON", "VIRTUAL_ENV"))}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
          str(ROOT)], cwd=tmp, env=env)
    (wheel,) = wheels.glob("llmkg-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp, env=env)
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=tmp, env=env, timeout=900)
    return venv, env


def test_the_wheel_works_outside_the_checkout(installed, tmp_path):
    venv, env = installed
    llmkg = str(venv / "bin" / "llmkg")
    work = tmp_path / "work"
    work.mkdir()
    # the package is the installed one, not the checkout
    r = _run([str(venv / "bin" / "python"), "-c", "import llmkg, sys; print(llmkg.__file__)"], cwd=work, env=env)
    assert str(ROOT) not in r.stdout and "site-packages" in r.stdout
    r = _run([llmkg, "init", "kg"], cwd=work, env=env)
    assert "created   vocabularies/licenses.yaml" in r.stdout
    r = _run([llmkg, "import", "awesome-md", str(ROOT / "examples" / "awesome-llms-sample.md"), "-o", "kg"],
             cwd=work, env=env)
    assert "created   models/gpt-2.yaml" in r.stdout
    # a new folder: the import makes it a data folder itself
    r = _run([llmkg, "import", "orkg-csv", str(ROOT / "examples" / "orkg-comparison-sample.csv"), "-o", "kg2"],
             cwd=work, env=env)
    assert "made a new data folder" in r.stderr and "created   models/gpt-3.yaml" in r.stdout
    r = _run([llmkg, "build", "--data", "kg"], cwd=work, env=env)
    assert "3 models, 3 papers" in r.stdout and "0 warnings" in r.stdout
    assert (work / ".llmkg" / "store" / "current").exists()
    r = _run([llmkg, "queries"], cwd=work, env=env)
    assert "largest-model-per-year" in r.stdout
    r = _run([llmkg, "query", "largest-model-per-year", "-f", "csv"], cwd=work, env=env)
    assert r.stdout.splitlines() == ["year,model,parameters,according to", "2018,BERT,340000000,awesome-llms",
                                     "2019,GPT-2,1500000000,awesome-llms"]
    r = _run([llmkg, "export", "-f", "jsonld", "-o", "kg.jsonld"], cwd=work, env=env)
    doc = json.loads((work / "kg.jsonld").read_text())
    assert doc["@context"]["modelFamily"] == "llmkg:modelFamily"
    r = _run([llmkg, "export", "-f", "orkg-csv", "--include-existing", "-o", "kg.csv"], cwd=work, env=env)
    assert (work / "kg.csv").read_text().startswith("paper:title,")
    # inside a data folder, the folder itself is the data
    r = _run([llmkg, "build"], cwd=work / "kg2", env=env)
    assert "3 models, 3 papers, 3 organizations" in r.stdout
