"""What the runner and the report share: the checkout, the number of app workers, the machine."""

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


def machine():
    """What the report says about the machine it ran on."""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    memory_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": model or platform.processor(),
        "os": platform.platform(),
    }
