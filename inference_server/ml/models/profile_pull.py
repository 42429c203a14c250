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
"""

from __future__ import annotations

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
State = Literal["pending", "nothing_to_do", "offline", "downloading", "done", "failed"]


@dataclass
class ProfilePull:
    """One background pull of a profile; `start()` runs it in a daemon thread."""

    store: ModelStore
    profile: str  # a manifest profile name (already resolved from "auto")
    requested: str  # what the setting said ("auto" or the name)
    mirror: str | None = None
    reachable: Callable[[ModelPuller, list[ModelEntry]], tuple[bool, str]] | None = None
    state: State = "pending"
    detail: str = ""
    models: dict[str, str] = field(default_factory=dict)  # id -> pending|downloading|installed|present|failed
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
        entries = self.store.manifest.profile(self.profile)
        needed = [e for e in entries if self.store.status(e).status != "verified"]
        self._set(
            started_at=now,
            models={e.id: ("pending" if e in needed else "present") for e in entries},
        )
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
        self._set(
            state="failed" if failed else "done",
            detail=(
                f"could not pull {', '.join(failed)}: " + "; ".join(self.errors[m] for m in failed)
                if failed
                else f"profile {self.profile} installed; restart HSI to use the new models"
            ),
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
