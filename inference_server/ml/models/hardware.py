"""What this machine has: cores, CPU features, memory, NVIDIA GPUs, free disk."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# CPU flags that decide which runtimes and precisions pay off (names as in /proc/cpuinfo).
INTERESTING_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "sve",
)


@dataclass(frozen=True)
class Gpu:
    """One CUDA device."""

    index: int
    name: str
    vram_mb: int
    source: str  # torch | nvidia-smi


@dataclass(frozen=True)
class Hardware:
    """A snapshot of the machine, taken once at start-up (it does not change while running)."""

    cores: int
    cpu_model: str
    cpu_flags: list[str]
    ram_total_mb: int
    ram_available_mb: int
    gpus: list[Gpu] = field(default_factory=list)
    gpu_probe: str = ""  # how GPUs were looked for, or why not
    disk_path: str = ""
    disk_free_mb: int = 0

    @property
    def max_vram_mb(self) -> int:
        """VRAM of the largest GPU (0 without one)."""
        return max((g.vram_mb for g in self.gpus), default=0)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        data = asdict(self)
        data["max_vram_mb"] = self.max_vram_mb
        return data


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, as containers limit it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def read_cpuinfo(text: str | None = None) -> tuple[str, list[str]]:
    """(model name, interesting flags) from /proc/cpuinfo text (empty on other systems)."""
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "", []
    model, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features"):
            flags.update(value.split())
    return model, [f for f in INTERESTING_FLAGS if f in flags]


def memory_mb() -> tuple[int, int]:
    """(total, available) RAM in MiB."""
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total // 2**20), int(vm.available // 2**20)
    except ImportError:
        pass
    values: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) // 1024
    except (OSError, ValueError, IndexError):
        return 0, 0
    return values.get("MemTotal", 0), values.get("MemAvailable", values.get("MemFree", 0))


def cuda_gpus() -> tuple[list[Gpu], str]:
    """CUDA GPUs from torch when it is installed, else from nvidia-smi when it is on PATH.

    Without an NVIDIA device node (/dev/nvidia*, or /dev/dxg under WSL) and without nvidia-smi
    there is no CUDA GPU to find, and importing torch (seconds) is skipped.
    """
    has_node = any(Path("/dev").glob("nvidia[0-9]*")) or Path("/dev/dxg").exists()
    if not has_node and shutil.which("nvidia-smi") is None:
        try:
            version = importlib.metadata.version("torch")
            return [], f"no NVIDIA device (no /dev/nvidia*, no nvidia-smi); torch {version} not asked"
        except importlib.metadata.PackageNotFoundError:
            return [], "no NVIDIA device (no /dev/nvidia*, no nvidia-smi); torch not installed"
    if importlib.util.find_spec("torch") is not None:
        try:
            import torch

            if torch.cuda.is_available():
                gpus = []
                for i in range(torch.cuda.device_count()):
                    props = torch.cuda.get_device_properties(i)
                    gpus.append(Gpu(i, str(props.name), int(props.total_memory // 2**20), "torch"))
                return gpus, f"torch {torch.__version__} (CUDA {torch.version.cuda})"
            probe = f"torch {torch.__version__}: no CUDA device"
            if torch.version.cuda is None:
                probe = f"torch {torch.__version__} is a CPU-only build"
        except Exception as exc:  # a broken CUDA install must not stop doctor
            probe = f"torch failed to query CUDA: {exc}"
    else:
        probe = "torch not installed"
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return [], probe + "; nvidia-smi not found"
    try:
        out = subprocess.run(
            [smi, "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return [], probe + f"; nvidia-smi failed: {exc}"
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[0].isdigit():
            try:
                gpus.append(Gpu(int(parts[0]), parts[1], int(float(parts[2])), "nvidia-smi"))
            except ValueError:
                continue
    return gpus, probe + "; nvidia-smi"


def probe_hardware(disk_path: Path) -> Hardware:
    """Look at this machine (takes a second or two when torch has to be imported)."""
    model, flags = read_cpuinfo()
    total, available = memory_mb()
    gpus, how = cuda_gpus()
    path = Path(disk_path)
    probe_at = path
    while not probe_at.exists() and probe_at != probe_at.parent:
        probe_at = probe_at.parent
    try:
        free = shutil.disk_usage(probe_at).free // 2**20
    except OSError:
        free = 0
    return Hardware(
        cores=usable_cores(),
        cpu_model=model,
        cpu_flags=flags,
        ram_total_mb=total,
        ram_available_mb=available,
        gpus=gpus,
        gpu_probe=how,
        disk_path=str(path),
        disk_free_mb=int(free),
    )
