"""Chapter kernels forked from one warm server: the libraries imported once, and
a kernel that shows exactly what a launched kernel shows."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from cxresearch.report import warm
from cxresearch.report.execute import _kernel_manager_class, _Kernels

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork servers need fork")

PROBE = """\
import json, os, sys
print(json.dumps({"parent": os.getppid(), "preloaded": "scipy.stats" in sys.modules}))
"""

SHOWN = """\
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
wide = pd.DataFrame(np.arange(75).reshape(3, 25), columns=[f"column_{i}" for i in range(25)])
display(wide)
print(pd.get_option("display.max_columns"), pd.get_option("display.width"))
plt.plot([1, 3, 2])
plt.title("a line")
"""


def notebook(folder: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["kernelspec"] = spec
    path = folder / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def run(path: Path, server: warm.ForkServer | None, out: Path) -> nbformat.NotebookNode:
    import papermill as pm

    pm.execute_notebook(
        str(path),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        kernel_manager_class=_kernel_manager_class(_Kernels(), server),
        shutdown_kernel="immediate",
    )
    return nbformat.read(out, as_version=4)


def outputs(nb: nbformat.NotebookNode) -> list:
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs]
            for c in nb.cells]  # fmt: skip


@pytest.mark.slow
def test_a_chapter_kernel_is_forked_from_the_server_with_the_libraries_imported(tmp_path):
    path = notebook(tmp_path, PROBE)
    with warm.fork_server() as server:
        assert server is not None
        (cell,) = run(path, server, tmp_path / "warm.ipynb").cells
        found = json.loads(cell.outputs[0]["text"])
        assert found == {"parent": server.process.pid, "preloaded": True}
    (cell,) = run(path, None, tmp_path / "cold.ipynb").cells  # launched: nothing preloaded
    assert json.loads(cell.outputs[0]["text"])["preloaded"] is False


@pytest.mark.slow
def test_a_forked_kernel_shows_exactly_what_a_launched_kernel_shows(tmp_path):
    """Tables (pandas decides its display columns at import: in a kernel, not in
    the server), printed options and the figure, byte for byte."""
    path = notebook(tmp_path, SHOWN)
    with warm.fork_server() as server:
        forked = run(path, server, tmp_path / "warm.ipynb")
    launched = run(path, None, tmp_path / "cold.ipynb")
    assert outputs(forked) == outputs(launched)
    kinds = {kind for o in outputs(launched)[0] for kind in o.get("data", {})}
    assert {"text/html", "text/plain", "image/png"} <= kinds


@pytest.mark.slow
def test_a_kernel_left_running_ends_with_its_server():
    kernels = _Kernels()
    with warm.fork_server() as server:
        manager = _kernel_manager_class(kernels, server)(kernel_name="python3")
        asyncio.run(manager.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"]))
        kernel = manager.provisioner.process
        assert isinstance(kernel, warm.ForkedKernel) and kernel.poll() is None
    deadline = time.monotonic() + 10  # its parent poller looks every second
    while kernel.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kernel.poll() is not None, "the kernel outlived its server"
    manager.cleanup_connection_file()


def test_the_switch_starts_kernels_the_usual_way(monkeypatch):
    monkeypatch.setenv(warm.SWITCH, "0")
    with warm.fork_server() as server:
        assert server is None


def test_the_kernel_keeps_its_connection_file_and_extra_arguments():
    cmd = ["python", "-m", "ipykernel_launcher", "-f", "k.json", "--IPKernelApp.log_level=ERROR"]
    assert warm.kernel_arguments(cmd) == ["-f", "k.json", "--IPKernelApp.log_level=ERROR"]
    with pytest.raises(ValueError, match="no connection file"):
        warm.kernel_arguments(["python", "-m", "ipykernel_launcher"])


def test_a_forked_kernel_that_ended_is_seen_ended():
    import subprocess
    import sys

    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    kernel = warm.ForkedKernel(done.pid)
    assert kernel.poll() == 0 and kernel.wait(timeout=1) == 0
    kernel.kill()  # (nothing to kill: no error)
