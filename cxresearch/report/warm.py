"""Chapter kernels forked from one warm process: the libraries are imported once.

Each chapter runs in its own Jupyter kernel, and each kernel used to import
pandas, matplotlib, scipy.stats, scikit-learn and cxresearch itself: about two
CPU-seconds per chapter on this project's machine, more than the chapter's
analyses in several chapters. A report now starts one **fork server**
(:data:`SERVE`) that imports those libraries once, then
forks a process for each chapter kernel (Unix ``fork``: the child shares the
imported modules' memory pages, copied only when written). The child becomes
the kernel the ordinary way (``ipykernel``'s ``IPKernelApp`` on the connection
file jupyter_client wrote), in its own session and process group, so stopping
a report kills it exactly as it kills a launched kernel.

jupyter_client manages the kernel as usual: :func:`forked_launch` replaces
its local provisioner's launch, and :class:`ForkedKernel` stands for the
``subprocess.Popen`` it would have kept (``poll``, ``wait``, ``send_signal``,
``kill``, ``terminate``).

Safety of ``fork``:

- the server is single-threaded: it imports, never computes (no BLAS or
  OpenMP thread pool is running when it forks), and sets the threads' limits
  of the report (``OMP_NUM_THREADS`` and the like) before importing;
- a child resets the signal handlers, its environment and working directory
  to what jupyter_client asked for, and ``JPY_PARENT_PID`` to the server, so
  that the kernel exits when the server does (and the server exits when the
  report does: its standard input closes);
- nothing of cxresearch reads the environment at import time (the results
  folder and the data folders are read when used).

Where ``fork`` is not available (Windows) or the server cannot start, chapters
start their kernels the usual way: the same numbers, more slowly.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

PRELOAD = (
    "numpy",
    "pandas",
    "scipy.stats",
    "scipy.optimize",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.mixture",
    "sklearn.metrics",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "matplotlib.pyplot",  # (not its inline backend: imported in the kernel, it hooks
    "seaborn",  # the figures' display into the kernel's shell)
    "cxresearch",
    "ipykernel.kernelapp",
    "IPython",
)
"""What the server imports before forking (what the chapters import)."""

INLINE = "module://matplotlib_inline.backend_inline"

SERVE = "import sys; from cxresearch.report.warm import serve; serve(sys.stdin, sys.stdout)"
"""The server's command (``-c``: ``-m`` would run a second copy of this module)."""


class ForkServer:
    """A running fork server: :meth:`spawn` forks a kernel process from it."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lock = threading.Lock()

    @classmethod
    def start(cls) -> ForkServer | None:
        """Start a server (None where ``fork`` is not available or it fails to
        start); it imports :data:`PRELOAD` in the background, and the first
        :meth:`spawn` waits for it."""
        if not hasattr(os, "fork") or sys.platform == "win32":
            return None
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,  # (stderr: the report's, as a launched kernel's)
                env={**os.environ, "MPLBACKEND": INLINE},
                text=True,
                bufsize=1,
            )
        except OSError:
            return None
        return cls(process)

    def spawn(self, cmd: list[str], env: dict, cwd: str | None) -> int:
        """Fork a kernel for the connection file in ``cmd`` (``... -f FILE``)
        with ``env`` and ``cwd``; its process id."""
        request = {"argv": kernel_arguments(cmd), "env": env, "cwd": cwd}
        with self.lock:
            if self.process.poll() is not None:
                raise RuntimeError("the chapters' fork server has stopped")
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError("the chapters' fork server has stopped")
        return int(json.loads(answer)["pid"])

    def close(self) -> None:
        """Stop the server now (a kernel still running exits with it: its parent
        poller sees the server gone). It has nothing to save: when it does not
        end at the end of its input at once (still importing), it is killed."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def kernel_arguments(cmd: list[str]) -> list[str]:
    """The kernel's own arguments in jupyter_client's command (``python -m
    ipykernel_launcher -f FILE [extra arguments]``): from ``-f`` on."""
    if "-f" not in cmd[:-1]:
        raise ValueError(f"no connection file (-f) in the kernel command {cmd!r}")
    return cmd[cmd.index("-f") :]


class ForkedKernel:
    """A forked kernel process as jupyter_client's provisioner uses a ``Popen``.

    It is the server's child, not ours, so it cannot be waited for: it is alive
    while its process exists and is not a zombie (the server reaps its
    children at once)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not _alive(self.pid):
            self.returncode = 0  # (its code went to the server)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def forked_launch(provisioner, server: ForkServer):
    """A replacement for ``provisioner.launch_kernel`` (a jupyter_client
    ``LocalProvisioner``) that forks the kernel from ``server``."""

    async def launch_kernel(cmd: list[str], **kwargs):
        pid = server.spawn(cmd, dict(kwargs.get("env") or os.environ), kwargs.get("cwd"))
        provisioner.process = ForkedKernel(pid)
        provisioner.pid = provisioner.pgid = pid  # (its own session and group)
        return provisioner.connection_info

    return launch_kernel


# --- the server ------------------------------------------------------------------------


def _reap(*_) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def serve(stdin, stdout) -> None:
    """Import :data:`PRELOAD`, then fork a kernel for each request line until
    standard input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the report stops us by closing stdin
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    signal.signal(signal.SIGCHLD, _reap)
    for line in stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request)  # never returns
        stdout.write(json.dumps({"pid": pid}) + "\n")
        stdout.flush()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def _become_kernel(request: dict) -> None:
    code = 1
    try:
        os.setsid()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        server = os.getppid()
        os.environ.clear()
        os.environ.update({**request["env"], "JPY_PARENT_PID": str(server)})
        if request.get("cwd"):
            os.chdir(request["cwd"])
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        # (its default parent was read from the environment when the server imported it)
        app.initialize([*request["argv"], f"--IPKernelApp.parent_handle={server}"])
        _as_imported_in_a_kernel()
        app.start()
        code = 0
    finally:
        os._exit(code)


SWITCH = "CXRESEARCH_WARM_KERNELS"
"""Set to ``0`` to start every chapter kernel the usual way (to compare, or to rule
the fork server out when something goes wrong)."""


def _as_imported_in_a_kernel() -> None:
    """Redo what a library decided at import time from not running in a kernel
    (the server imported it before the kernel's shell existed)."""
    pandas = sys.modules.get("pandas")
    if pandas is not None:  # pandas' default under a Jupyter kernel (0 in a terminal)
        pandas.set_option("display.max_columns", 20)
    inline = sys.modules.get("matplotlib_inline.backend_inline")
    if inline is not None:  # (not preloaded: it hooks figures into the shell at import)
        inline._enable_matplotlib_integration()


@contextlib.contextmanager
def fork_server() -> Iterator[ForkServer | None]:
    """A fork server for the duration of a report (None when switched off with
    ``CXRESEARCH_WARM_KERNELS=0`` or unavailable)."""
    server = ForkServer.start() if os.environ.get(SWITCH, "1") != "0" else None
    try:
        yield server
    finally:
        if server is not None:
            server.close()
