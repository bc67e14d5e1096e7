"""Timing helpers of the benchmarks: interleaved repetitions, their statistics, the machine.

The machine is shared and noisy, so contenders are never timed one after the other: each
repetition times every contender once, in a rotated order, and the tables report medians with
their min and max. Ratios are taken between medians of the same run.
"""

import os
import platform
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Seconds of the repetitions of one contender."""

    seconds: tuple

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def min(self):
        return min(self.seconds)

    @property
    def max(self):
        return max(self.seconds)


def interleaved(contenders, repeats, warmup=1, between=None):
    """Time each callable of ``contenders`` (name -> fn) ``repeats`` times, round-robin.

    Round r starts with contender r (mod their number), so none always runs first or right after
    a given other one; ``between()``, when given, runs after each round (other measurements to
    interleave). Returns (name -> Timing, name -> the fn's last return value).
    """
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    seconds = {name: [] for name in names}
    last = {}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            started = time.perf_counter()
            last[name] = contenders[name]()
            seconds[name].append(time.perf_counter() - started)
        if between is not None:
            between()
    return {name: Timing(tuple(s)) for name, s in seconds.items()}, last


def per_call(fn, calls, blocks):
    """Timing of one call of ``fn``, from ``blocks`` blocks of ``calls`` back-to-back calls."""
    fn()
    seconds = []
    for _ in range(blocks):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        seconds.append((time.perf_counter() - started) / calls)
    return Timing(tuple(seconds))


def machine():
    """A dict describing this machine and the numerical libraries, for the results file."""
    import numpy as np
    import sklearn
    from threadpoolctl import threadpool_info

    cpu, simd = platform.processor() or "?", "?"
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        flags = set(next(line.split(":", 1)[1].split() for line in info if line.startswith("flags")))
        simd = ", ".join(flag for flag in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if flag in flags)
    except (OSError, StopIteration):
        pass
    blas = [f"{p.get('internal_api')} {p.get('version')} ({p.get('threading_layer')}, {p.get('architecture')}, "
            f"{p.get('num_threads')} threads)" for p in threadpool_info() if p.get("user_api") == "blas"]
    try:
        import torch
        torch_version = f"{torch.__version__} ({torch.get_num_threads()} threads by default)"
    except ImportError:
        torch_version = "not installed"
    return {
        "CPU": cpu, "SIMD": simd, "cores": os.cpu_count(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Python": platform.python_version(), "NumPy": np.__version__, "BLAS": "; ".join(blas) or "?",
        "scikit-learn": sklearn.__version__, "PyTorch": torch_version,
    }
