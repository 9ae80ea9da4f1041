"""numpy's BLAS held to a number of threads, before or after numpy is loaded.

This module imports nothing of numpy, so that ``clearing-gateway serve`` can set the limit before the risk
engine loads it (``gateway.risk`` imports numpy as it is imported, which is why this lives beside it
rather than inside it). ``[risk] blas_threads`` says how many; the clearing benchmark uses it too.
"""

from __future__ import annotations


def limit_blas_threads(threads: int) -> bool:
    """Hold numpy's BLAS (OpenBLAS) to ``threads`` threads in this process; True when it was applied.

    OpenBLAS starts a thread per core and, after each matrix product, keeps them spinning for a while. The
    clearing pass multiplies small matrices many times a second, so on a small machine those spinning
    threads take the cores the database and the broker need (measured: about four times the CPU per
    cleared trade with the default on two cores). Before numpy is imported the environment says it;
    after, the loaded library is asked directly (Linux: found in /proc/self/maps).
    """
    import os
    import sys

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(threads)
    if "numpy" not in sys.modules:
        return True
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return False
    applied = False
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in (
            "scipy_openblas_set_num_threads64_",
            "openblas_set_num_threads64_",
            "openblas_set_num_threads",
        ):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                applied = True
                break
    return applied
