"""Writing a benchmark's results: benchmarks/results/<name>.md (with the command and the machine) and .json."""
from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from typing import Any, Dict

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def machine() -> str:
    """This machine in one line: CPU model, cores, memory."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = float("nan")
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def command() -> str:
    """The command line that is running, as a user would type it."""
    module = getattr(sys.modules.get("__main__"), "__spec__", None)
    program = f"python -m {module.name}" if module is not None else f"python {sys.argv[0]}"
    return " ".join([program] + [shlex.quote(a) for a in sys.argv[1:]])


def write(name: str, title: str, body: str, data: Dict[str, Any]) -> str:
    """Writes results/<name>.md and .json; returns the markdown, which callers print."""
    os.makedirs(RESULTS, exist_ok=True)
    text = f"# {title}\n\nCommand: `{command()}`  \nMachine: {machine()}\n\n{body.strip()}\n"
    with open(os.path.join(RESULTS, name + ".md"), "w") as handle:
        handle.write(text)
    with open(os.path.join(RESULTS, name + ".json"), "w") as handle:
        json.dump({"command": command(), "machine": machine(), **data}, handle, indent=1, default=str)
    return text
