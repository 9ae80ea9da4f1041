"""numpy's BLAS held to one thread, before and after numpy is loaded (a fresh process each)."""

from __future__ import annotations

import os


def _run_probe(probe: str) -> str:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def test_blas_is_held_to_one_thread_when_limited_before_numpy_is_imported() -> None:
    """OpenBLAS otherwise starts a thread per core (this machine has more than one: threads are counted)."""
    probe = (
        "import os\n"
        "from gateway.blas import limit_blas_threads\n"
        "assert limit_blas_threads(1)\n"
        "import numpy as np\n"
        "a = np.ones((400, 400)); a @ a\n"
        "print(len(os.listdir('/proc/self/task')))\n"
    )
    if (os.cpu_count() or 1) > 1:
        assert _run_probe(probe.replace("assert limit_blas_threads(1)", "pass")) != "1"
    assert _run_probe(probe) == "1"


def test_blas_is_told_its_thread_count_when_numpy_was_imported_first() -> None:
    probe = (
        "import ctypes, numpy as np\n"
        "from gateway.blas import limit_blas_threads\n"
        "assert limit_blas_threads(1)\n"
        "paths = {l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l.lower() and '/' in l}\n"
        "lib = ctypes.CDLL(paths.pop())\n"
        "get = getattr(lib, 'scipy_openblas_get_num_threads64_', None) or lib.openblas_get_num_threads\n"
        "print(get())\n"
    )
    assert _run_probe(probe) == "1"
