"""``llmkg serve`` refuses what it cannot do with one line and exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_a_port_in_use_is_a_one_line_error(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        r = subprocess.run([sys.executable, "-m", "llmkg.cli", "serve", "--store", str(tmp_path / "store"),
                            "--host", "127.0.0.1", "--port", str(port)], capture_output=True, text=True,
                           timeout=60, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})
    finally:
        taken.close()
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1] == f"llmkg: error: port {port} on 127.0.0.1 is in use; try --port (0 picks a free one)"
    assert "Traceback" not in r.stderr
