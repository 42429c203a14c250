"""The first-start download of a profile's models, in the background, while the server serves.

With `models_profile` set (the add-on and the GPU container set it; `auto` means the profile
`hsi doctor` recommends for this hardware), `hsi serve` starts at once on whatever models are
there (fallbacks included) and a daemon thread pulls the profile's missing models with the same
`ModelPuller` as `hsi models pull` (lock, disk check, checksum, resume). An offline host (HSI_OFFLINE
/ HF_HUB_OFFLINE set, or the hosts unreachable) does not pull and says so.

The state is written to `<models_dir>/profile-pull.json` at every change, so `hsi doctor` (another
process) shows it too; `GET /api/system/info` (doctor.profile_pull), `GET /api/system/ready`
(models_pull) and the fallback entries Home Assistant turns into repair issues carry it. Models
downloaded while serving take effect at the next start: the state says `restart_required`.

Only what this build can run is pulled (`runnable`): a YOLO `.pt` needs PyTorch (the add-on has
none: it runs ONNX), a GGUF needs llama-cpp-python, CLIP needs open_clip. A detector whose manifest
entry names an ONNX export (`onnx: <id>`) gets that export instead; otherwise the model is marked
`unusable` with one line saying what to provide, nothing is downloaded for it, and the server goes on
serving on the fallback (the line is in the state, the log and the Home Assistant repair text).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from inference_server.ml.models.manifest import Manifest, ModelEntry, UnknownModel
from inference_server.ml.models.pull import ModelPuller, PullError, offline_requested
from inference_server.ml.models.store import ModelStore

log = logging.getLogger(__name__)

STATUS_FILE = "profile-pull.json"
State = Literal["pending", "nothing_to_do", "offline", "downloading", "done", "failed", "unusable"]
# What each kind of model file needs in this Python environment.
NEEDS = {
    "torch": ("torch", "ultralytics"),
    "onnx": ("onnxruntime",),
    "llama_cpp": ("llama_cpp",),
    "clip": ("torch", "open_clip"),
    "opencv": ("cv2",),
}


def installed_runtimes() -> frozenset[str]:
    """The runtimes of NEEDS whose packages this environment has (find_spec: nothing is imported)."""
    return frozenset(
        name for name, modules in NEEDS.items() if all(importlib.util.find_spec(m) for m in modules)
    )


def runtime_of(entry: ModelEntry) -> str:
    """The runtime that loads this entry's file."""
    if entry.family == "llm":
        return "llama_cpp"
    if entry.family == "embedder":
        return "clip"
    if entry.family == "face":
        return "opencv"  # cv2.FaceDetectorYN / cv2.FaceRecognizerSF read the ONNX files themselves
    return "onnx" if entry.file.endswith(".onnx") else "torch"


def unusable_reason(entry: ModelEntry, detector_weights: str | None = None) -> str:
    """One line: why this build cannot run `entry` and what to provide instead."""
    if runtime_of(entry) == "torch":
        onnx = Path(entry.file).with_suffix(".onnx").name
        where = detector_weights if detector_weights and detector_weights.endswith(".onnx") else None
        return (
            f"{entry.id} is published only as {entry.file} (PyTorch) and this build has no PyTorch to "
            f"convert it to ONNX: export it on a computer with PyTorch (`hsi models pull {entry.id}`, "
            f"then `yolo export model={entry.file} format=onnx`) and put {onnx} "
            + (f"at {where}" if where else "where HSI_DETECTOR_WEIGHTS points")
        )
    if runtime_of(entry) == "llama_cpp":
        return (
            f"{entry.id} needs llama-cpp-python, which this build does not have: run it on an "
            "OpenAI-compatible server (llama.cpp server, Ollama) and set llm_backend openai with llm_url"
        )
    if runtime_of(entry) == "clip":
        return f"{entry.id} needs PyTorch and open_clip, which this build does not have (re-ID stays off)"
    if runtime_of(entry) == "opencv":
        return f"{entry.id} needs OpenCV (cv2), which this build does not have"
    return f"{entry.id} needs ONNX Runtime, which this build does not have"


@dataclass
class ProfilePull:
    """One background pull of a profile; `start()` runs it in a daemon thread."""

    store: ModelStore
    profile: str  # a manifest profile name (already resolved from "auto")
    requested: str  # what the setting said ("auto" or the name)
    mirror: str | None = None
    reachable: Callable[[ModelPuller, list[ModelEntry]], tuple[bool, str]] | None = None
    runtimes: frozenset[str] | None = None  # None: probe this environment (installed_runtimes)
    detector_weights: str | None = None  # where the unusable-detector line tells users to put an .onnx
    state: State = "pending"
    detail: str = ""
    # id -> pending|downloading|installed|present|failed|unusable (a substitute: "onnx:<id>")
    models: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    restart_required: bool = False
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_settings(
        cls, models_dir: Path, manifest: Manifest, requested: str, recommended: str, **kw: Any
    ) -> ProfilePull:
        """The pull of `requested` ("auto" -> `recommended`); UnknownModel for an unknown profile."""
        name = recommended if requested == "auto" else requested
        manifest.profile(name)  # raises UnknownModel with the known names
        return cls(ModelStore(models_dir, manifest), name, requested, **kw)

    # ------------------------------------------------------------------------------- state
    def as_dict(self) -> dict[str, Any]:
        """The JSON form (also written to profile-pull.json)."""
        with self._lock:
            return {
                "profile": self.profile,
                "requested": self.requested,
                "state": self.state,
                "detail": self.detail,
                "models": dict(self.models),
                "errors": dict(self.errors),
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "restart_required": self.restart_required,
            }

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self, key, value)
        self._write()

    def _write(self) -> None:
        path = self.store.root / STATUS_FILE
        try:
            self.store.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.as_dict(), indent=2))
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("models profile status not written to %s: %s", path, exc)

    # ------------------------------------------------------------------------------- run
    def start(self) -> None:
        """Run in a daemon thread (a download never holds up shutdown)."""
        self._thread = threading.Thread(target=self.run, name="models-profile-pull", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Pull every model of the profile that is not installed and verified."""
        now = datetime.now(UTC).isoformat()
        runtimes = installed_runtimes() if self.runtimes is None else self.runtimes
        entries: list[ModelEntry] = []
        unusable: dict[str, str] = {}
        for entry in self.store.manifest.profile(self.profile):
            if runtime_of(entry) in runtimes:
                entries.append(entry)
                continue
            variant = self.store.manifest.get(entry.onnx) if entry.onnx else None
            if variant is not None and runtime_of(variant) in runtimes:
                entries.append(variant)  # the ONNX export of the same weights
                continue
            unusable[entry.id] = unusable_reason(entry, self.detector_weights)
        needed = [e for e in entries if self.store.status(e).status != "verified"]
        models = {e.id: ("pending" if e in needed else "present") for e in entries}
        models.update(dict.fromkeys(unusable, "unusable"))
        self._set(started_at=now, models=models, errors=dict(unusable))
        for model_id, why in unusable.items():
            log.warning("models_pull model=%s unusable: %s", model_id, why)
        if not needed and unusable:
            self._set(
                state="unusable",
                detail=f"nothing of profile {self.profile} can run in this build: "
                + "; ".join(unusable.values()),
                finished_at=now,
            )
            return
        if not needed:
            self._set(
                state="nothing_to_do",
                detail=f"every model of profile {self.profile} is installed",
                finished_at=now,
            )
            return
        names = ", ".join(e.id for e in needed)
        variable = offline_requested()
        offline = f"{variable} is set" if variable else None
        puller = ModelPuller(
            self.store, mirror=self.mirror, say=lambda text: log.info("models_pull %s", text)
        )
        if variable is None:
            ok, why = (self.reachable or (lambda p, es: p.reachable(es)))(puller, needed)
            if not ok:
                offline = why
        if offline is not None:
            self._set(
                state="offline",
                detail=f"offline ({offline}): not pulling {names}; serving with fallbacks. "
                f"Run `hsi models pull --profile {self.profile}` when online, or `hsi models import FILE`",
                finished_at=datetime.now(UTC).isoformat(),
            )
            log.warning("models_pull profile=%s %s", self.profile, self.detail)
            return
        self._set(state="downloading", detail=f"downloading {names} (profile {self.profile})")
        log.info("models_pull profile=%s downloading=%s", self.profile, names)
        for entry in needed:
            with self._lock:
                self.models[entry.id] = "downloading"
            self._write()
            started = time.monotonic()
            try:
                result = puller.pull(entry)
            except PullError as exc:
                with self._lock:
                    self.models[entry.id] = "failed"
                    self.errors[entry.id] = str(exc)
                self._write()
                log.warning("models_pull model=%s failed: %s", entry.id, exc)
                continue
            with self._lock:
                self.models[entry.id] = "installed" if result.action == "downloaded" else "present"
                self.restart_required = self.restart_required or result.action == "downloaded"
            self._write()
            log.info(
                "models_pull model=%s %s seconds=%.1f", entry.id, result.action, time.monotonic() - started
            )
        failed = [m for m, s in self.models.items() if s == "failed"]
        skipped = "".join(f"; not pulled: {why}" for why in unusable.values())
        self._set(
            state="failed" if failed else "done",
            detail=(
                f"could not pull {', '.join(failed)}: " + "; ".join(self.errors[m] for m in failed)
                if failed
                else f"profile {self.profile} installed; restart HSI to use the new models"
            )
            + skipped,
            finished_at=datetime.now(UTC).isoformat(),
        )
        log.info("models_pull profile=%s state=%s", self.profile, self.state)

    # ------------------------------------------------------------------------------- reporting
    def annotate(self, fallbacks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The fallback entries with this pull's progress in `reason`/`fix` (the HA repair text)."""
        status = self.as_dict()
        out = []
        for item in fallbacks:
            item = dict(item)
            if status["state"] == "downloading":
                item["reason"] = f"{item.get('reason', '')}; {status['detail']} in the background".lstrip(
                    "; "
                )
                item["fix"] = "wait for the download to finish, then restart HSI"
            elif status["state"] in ("done",) and status["restart_required"]:
                item["reason"] = f"{item.get('reason', '')}; {status['detail']}".lstrip("; ")
                item["fix"] = "restart HSI (the add-on) to use the downloaded models"
            elif status["state"] in ("offline", "failed"):
                item["reason"] = f"{item.get('reason', '')}; {status['detail']}".lstrip("; ")
            # A model this build cannot run: the fix is what to provide, not a pull command.
            wanted = self.store.manifest.models
            for model_id, why in status["errors"].items():
                if status["models"].get(model_id) != "unusable":
                    continue
                if next((m.family for m in wanted if m.id == model_id), None) == item.get("stage"):
                    item["fix"] = why
            out.append(item)
        return out


def read_status(models_dir: Path) -> dict[str, Any] | None:
    """The last state a server wrote (for `hsi doctor`), or None."""
    try:
        data = json.loads((models_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


__all__ = ["STATUS_FILE", "ProfilePull", "UnknownModel", "read_status"]
