"""Which detector runtime and precision suit this CPU (used by `hsi doctor` and `detector: auto`).

INT8 pays off where the CPU has integer dot-product instructions (AVX-512 VNNI, AVX-VNNI, AMX):
there an INT8 YOLO runs well ahead of FP32. OpenVINO is Intel's runtime and also runs on AMD;
ONNX Runtime is the fallback that is always installed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

_INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where /proc/cpuinfo does not exist)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@dataclass(frozen=True, slots=True)
class CpuDetectorChoice:
    """A detector runtime ("openvino" | "onnx") and precision ("int8" | "fp32"), and why."""

    runtime: str
    precision: str
    reason: str


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def recommend_cpu_detector(
    flags: frozenset[str] | None = None,
    *,
    openvino: bool | None = None,
    nncf: bool | None = None,
) -> CpuDetectorChoice:
    """The fastest detector setup for this CPU among the installed runtimes."""
    flags = cpu_flags() if flags is None else flags
    openvino = _installed("openvino") if openvino is None else openvino
    nncf = _installed("nncf") if nncf is None else nncf
    int8_units = [f for f in _INT8_FLAGS if f in flags]
    if openvino and nncf and int8_units:
        return CpuDetectorChoice(
            "openvino", "int8", f"CPU has {', '.join(int8_units)}: OpenVINO INT8 (NNCF-calibrated)"
        )
    if openvino:
        why = "no INT8 dot-product unit (VNNI/AMX)" if not int8_units else "nncf is not installed"
        return CpuDetectorChoice("openvino", "fp32", f"OpenVINO FP32 ({why})")
    return CpuDetectorChoice("onnx", "fp32", "OpenVINO is not installed: ONNX Runtime FP32")
