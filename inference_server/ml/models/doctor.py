"""`hsi doctor`: this machine, the installed models, each stage's backend and why, the advice."""

from __future__ import annotations

from typing import Any

from inference_server.ml.models.hardware import Hardware
from inference_server.ml.models.manifest import Manifest
from inference_server.ml.models.plan import ModelPlan, ModelSettings
from inference_server.ml.models.profile_pull import read_status
from inference_server.ml.models.pull import human_bytes
from inference_server.ml.models.store import ModelStore


def doctor_report(ms: ModelSettings, hw: Hardware, manifest: Manifest, plan: ModelPlan) -> dict[str, Any]:
    """Everything `hsi doctor --json` prints (also `doctor` in GET /api/system/info)."""
    store = ModelStore(ms.models_dir, manifest)
    models = []
    for installed in store.all_status():
        entry = installed.entry
        models.append(
            {
                **installed.as_dict(),
                "name": entry.name,
                "expected_size_bytes": entry.size_bytes,
                "license": entry.license,
                "ram_mb": entry.ram_mb,
                "vram_mb": entry.vram_mb,
                "in_recommended_profile": entry.id in plan.recommendation.models,
            }
        )
    return {
        "manifest_revision": manifest.revision,
        "hardware": hw.as_dict(),
        "models_dir": str(ms.models_dir),
        "models": models,
        "stages": {name: choice.as_dict() for name, choice in plan.stages.items()},
        "fallbacks": [choice.as_dict() for choice in plan.fallbacks],
        "recommendation": plan.recommendation.as_dict(),
        # The last background pull of `models_profile` a server ran here (ml/models/profile_pull.py).
        "profile_pull": read_status(ms.models_dir),
    }


def render_doctor(report: dict[str, Any]) -> str:
    """The human-readable form of a doctor report."""
    hw = report["hardware"]
    lines = ["Hardware"]
    flags = " ".join(hw["cpu_flags"]) or "none of interest"
    lines.append(
        f"  CPU       {hw['cpu_model'] or 'unknown model'}, {hw['cores']} usable cores; features: {flags}"
    )
    lines.append(
        f"  RAM       {hw['ram_total_mb'] / 1024:.1f} GiB total, {hw['ram_available_mb'] / 1024:.1f} GiB available"
    )
    if hw["gpus"]:
        for gpu in hw["gpus"]:
            lines.append(
                f"  GPU {gpu['index']}     {gpu['name']}, {gpu['vram_mb']} MiB VRAM (via {gpu['source']})"
            )
    else:
        lines.append(f"  GPU       none ({hw['gpu_probe']})")
    lines.append(f"  Disk      {hw['disk_free_mb'] / 1024:.1f} GiB free at {hw['disk_path']}")
    lines.append(f"Models in {report['models_dir']} (manifest {report['manifest_revision']})")
    for m in report["models"]:
        mark = "*" if m["in_recommended_profile"] else " "
        size = human_bytes(m["size_bytes"] or m["expected_size_bytes"])
        lines.append(f" {mark} {m['id']:<22} {m['family']:<9} {m['status']:<9} {size:>9}  {m['license']}")
    lines.append("Stages")
    for name, choice in report["stages"].items():
        model = f" ({choice['model_id']})" if choice["model_id"] else ""
        tag = "FALLBACK " if choice["fallback"] else ""
        lines.append(f"  {name:<9} {choice['backend']}{model}: {tag}{choice['reason']}")
        if choice["fallback"] and choice["fix"]:
            lines.append(f"  {'':<9} fix: {choice['fix']}")
    rec = report["recommendation"]
    lines.append(f"Recommended profile: {rec['profile']} ({rec['reason']})")
    lines.append(f"  models: {', '.join(rec['models'])}")
    if rec["missing"]:
        lines.append(
            f"  to pull: {', '.join(rec['missing'])} ({human_bytes(rec['download_bytes'])}): {rec['command']}"
        )
    else:
        lines.append("  all of them are installed")
    pull = report.get("profile_pull")
    if pull:
        lines.append(
            f"Background pull (models_profile {pull['requested']}): {pull['state']}, {pull['detail']}"
        )
        for model_id, state in pull["models"].items():
            lines.append(
                f"  {model_id}: {state}"
                + (f" ({pull['errors'][model_id]})" if model_id in pull["errors"] else "")
            )
    return "\n".join(lines)
