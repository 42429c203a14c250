"""Download progress: a redrawn line on a terminal, log lines with bytes, rate and ETA otherwise;
and a manifest that breaks its schema is refused with the entry and field named."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from inference_server.cli import main
from inference_server.ml.models.manifest import ManifestError, builtin_manifest, parse_manifest
from inference_server.ml.models.pull import TransferProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_terminal_progress_redraws_one_line_with_rate_and_eta() -> None:
    clock, out = Clock(), io.StringIO()
    progress = TransferProgress("yolo26n", 10_000_000, stream=out, tty=True, clock=clock)
    clock.now += 2.0
    progress.add(4_000_000)  # 2 MB/s, 3 s to go
    progress.finish()
    text = out.getvalue()
    assert text.startswith("\r\x1b[K")
    assert "yolo26n  4.0 MB / 10.0 MB  2.0 MB/s  ETA 3 s" in text
    assert text.endswith("\n") and text.count("\n") == 1


def test_progress_without_a_terminal_logs_bytes_rate_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    progress = TransferProgress("nemotron-mini-4b", 3_000_000, stream=io.StringIO(), tty=False, clock=clock)
    with caplog.at_level(logging.INFO, logger="inference_server.ml.models.pull"):
        clock.now += 1.0
        progress.add(500_000)  # under the 5 s interval: no line yet
        clock.now += 5.0
        progress.add(1_000_000)  # 1.5 MB in 6 s = 250 kB/s, 6 s to go
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "model_pull model=nemotron-mini-4b bytes=1500000 total=3000000 rate_bytes_s=250000 eta_s=6"
    ]


def test_hf_tqdm_adapter_counts_into_the_progress() -> None:
    progress = TransferProgress("x", None, stream=None, tty=False)
    bar_class = progress.tqdm_class()
    with bar_class(total=1000, initial=100, desc="x", unit="B") as bar:
        bar.update(400)
        bar.update(-100)  # huggingface_hub rolls back when a server ignores Range
    assert (progress.total, progress.done) == (1000, 400)


def test_manifest_schema_errors_name_the_entry_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (Path(__file__).resolve().parents[3] / "inference_server/ml/models/manifest.yaml").read_text()
    parse_manifest(text)  # the shipped one is valid
    broken = text.replace("sha256: 9b09cc8b", "sha256: zz09cc8b", 1)
    with pytest.raises(ManifestError, match=r"models\.0\.sha256"):
        parse_manifest(broken, "test")
    assert builtin_manifest().get("yolo26n").sha256 is not None

    bad = tmp_path / "manifest.yaml"
    bad.write_text(
        text.replace("profiles:\n  cpu-small:", "profiles:\n  cpu-small:\n    models: [nope]\n  x:", 1)
    )
    cfg = tmp_path / "hsi.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\nmodels_manifest: {bad}\n")
    assert main(["--config", str(cfg), "models", "list"]) == 2
    assert capsys.readouterr().err.startswith("hsi: ")
