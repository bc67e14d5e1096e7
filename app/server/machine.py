"""What this server really has (CPUs and memory, as its cgroup limits them) and what it chooses
from that: sweep workers as processes or as threads, and the shared cache's byte budget. The
server says both once, in its log, when it starts.

On Streamlit Community Cloud a box may have 0.078 to 2 CPUs and 690 MB to 2.7 GB, while
``os.cpu_count()`` and ``/proc/meminfo`` report the host's. A sweep worker process costs about
WORKER_BYTES (a Python with NumPy, scikit-learn and the data: measured by bench/loadtest.py), so
on a small box the sweep's cells run in threads of the server process instead, and the queue's
slots still bound how many train at once.
"""

import logging
import os
from dataclasses import dataclass
from functools import cache

import nncore.lab.pools
from nncore.lab import cgroups

MB = 2**20
WORKER_BYTES = 190 * MB        # one loky worker process with the project imported (summed RSS)
SERVER_RESERVE = 512 * MB      # the server itself with a class of 30 sessions, before any sweep process
CACHE_BYTES = 64 * MB          # the shared cache's budget without a memory limit ...
CACHE_SHARE = 16               # ... and at most this fraction of a limit

log = logging.getLogger("digits.server")


@dataclass(frozen=True)
class Machine:
    """What the process may use: ``affinity`` (CPUs it may run on), ``quota`` (CPUs of its cgroup
    quota, None: none), ``memory`` (bytes of its cgroup limit, None: none), ``cpus`` (the number
    it uses: nncore.lab.pools.available_cpus)."""

    affinity: int
    quota: float
    memory: int
    cpus: int

    @property
    def sweep_processes(self):
        """Worker processes a local sweep may start: one per CPU, as many as fit in the memory
        left beside the server; 0 when not one fits (the cells then run in threads)."""
        if self.memory is None:
            return self.cpus
        return max(0, min(self.cpus, (self.memory - SERVER_RESERVE) // WORKER_BYTES))

    @property
    def cache_bytes(self):
        """The shared cache's byte budget: CACHE_BYTES, or 1/CACHE_SHARE of a smaller memory limit."""
        return CACHE_BYTES if self.memory is None else min(CACHE_BYTES, self.memory // CACHE_SHARE)

    def describe(self):
        """What was found and what was chosen, in one line for the log."""
        quota = "none" if self.quota is None else f"{self.quota:g} CPU"
        memory = "none" if self.memory is None else f"{self.memory / MB:.0f} MB"
        sweeps = (f"{self.sweep_processes} worker process(es)" if self.sweep_processes
                  else f"threads of the server (no worker process fits in {memory})")
        return (f"CPU affinity {self.affinity}, cgroup CPU quota {quota}, memory limit {memory} "
                f"(os.cpu_count() says {os.cpu_count()}): using {self.cpus} CPU(s); sweeps in {sweeps}; "
                f"shared cache {self.cache_bytes / MB:.0f} MB")


def measure(root="/"):
    """The Machine of this process, read under ``root`` (see nncore.lab.cgroups)."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        affinity = os.cpu_count() or 1
    return Machine(affinity, cgroups.cpu_quota(root), cgroups.memory_limit(root), nncore.lab.pools.available_cpus(root))


@cache
def current():
    """This server's Machine, measured once and logged once."""
    machine = measure()
    log.warning("Digits Playground server: %s", machine.describe())
    return machine
