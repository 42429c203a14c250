"""`hsi models ...` and `hsi doctor`: install, check and explain the models of this machine."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from inference_server.settings import Settings

log = logging.getLogger("inference_server.models")


def add_parsers(sub: Any) -> None:
    """Register `models` and `doctor` on the top-level sub-parsers."""
    m = sub.add_parser(
        "models",
        help="list, pull, verify, import or remove model files (YOLO26, Nemotron GGUF, CLIP)",
        description="Model files live in HSI_MODELS_DIR (default <data_dir>/models). Sources, sizes, "
        "checksums and licenses come from the manifest shipped with hsi; see docs/models.md.",
    )
    msub = m.add_subparsers(dest="action", required=True, metavar="ACTION")
    ml = msub.add_parser("list", help="every known model with its size, license, needs and status")
    ml.add_argument("--json", action="store_true", help="print JSON")
    mp = msub.add_parser(
        "pull",
        help="download models (by id, or a profile) with progress, checksum and free-disk checks",
        description="Download from Hugging Face (huggingface_hub; honours HF_ENDPOINT) or the Ultralytics "
        "release assets (ultralytics' downloader), or from HSI_MODELS_MIRROR for both.",
    )
    mp.add_argument("names", nargs="*", metavar="NAME", help="model id(s), see `hsi models list`")
    mp.add_argument(
        "--profile",
        help="pull a profile's models: cpu-small, cpu, gpu-8gb, gpu-24gb, or auto (what `hsi doctor` recommends)",
    )
    mp.add_argument("--force", action="store_true", help="download again even if installed and verified")
    mp.add_argument(
        "--if-online",
        action="store_true",
        help="skip quietly (exit 0) when the hub cannot be reached or HSI_OFFLINE is set, and never "
        "exit non-zero for a failed download (for container start-up scripts)",
    )
    mv = msub.add_parser("verify", help="re-hash installed models against their expected SHA-256")
    mv.add_argument("names", nargs="*", metavar="NAME", help="model id(s) (default: every installed model)")
    mi = msub.add_parser("import", help="install a model file copied in by hand (offline / air-gapped homes)")
    mi.add_argument("file", help="the model file")
    mi.add_argument(
        "--as", dest="as_id", metavar="ID", help="the manifest id it is (default: by hash or name)"
    )
    mr = msub.add_parser("remove", help="delete installed model files")
    mr.add_argument("names", nargs="+", metavar="NAME", help="model id(s)")

    d = sub.add_parser(
        "doctor", help="what this machine has, which models are installed, what each stage will use and why"
    )
    d.add_argument(
        "--json", action="store_true", help="print JSON (the same as `doctor` in GET /api/system/info)"
    )


def _store(settings: Settings) -> Any:
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.store import ModelStore

    return ModelStore(settings.models_path, load_manifest(settings.models.manifest))


def _say(text: str) -> None:
    print(text, flush=True)


async def models_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run one `hsi models` action; the exit status is non-zero when it failed."""
    actions = {"list": _list, "pull": _pull, "verify": _verify, "import": _import, "remove": _remove}
    return actions[args.action](args, settings)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.ml.models.pull import human_bytes

    store = _store(settings)
    rows = []
    for installed in store.all_status():
        e = installed.entry
        rows.append(
            {
                **installed.as_dict(),
                "name": e.name,
                "version": e.version,
                "file": e.file,
                "source": e.source.model_dump(),
                "expected_size_bytes": e.size_bytes,
                "size_exact": e.size_exact,
                "sha256_published": e.sha256,
                "license": e.license,
                "license_url": e.license_url,
                "ram_mb": e.ram_mb,
                "vram_mb": e.vram_mb,
                "backends": e.backends,
                "unverified": e.unverified,
            }
        )
    if args.json:
        print(
            json.dumps(
                {
                    "manifest_revision": store.manifest.revision,
                    "models_dir": str(store.root),
                    "models": rows,
                    "profiles": {k: v.model_dump() for k, v in store.manifest.profiles.items()},
                },
                indent=2,
            )
        )
        return 0
    print(f"models in {store.root} (manifest {store.manifest.revision})")
    print(f"{'ID':<22} {'FAMILY':<9} {'SIZE':>9} {'RAM':>7} {'VRAM':>7}  {'STATUS':<9} LICENSE")
    for r in rows:
        size = ("" if r["size_exact"] else "~") + human_bytes(r["expected_size_bytes"])
        print(
            f"{r['id']:<22} {r['family']:<9} {size:>9} {r['ram_mb'] / 1024:>5.1f}GB {r['vram_mb'] / 1024:>5.1f}GB"
            f"  {r['status']:<9} {r['license']}"
        )
    print("profiles: " + "; ".join(f"{k}: {', '.join(v.models)}" for k, v in store.manifest.profiles.items()))
    return 0


def _targets(args: argparse.Namespace, settings: Settings, store: Any) -> list[Any]:
    from inference_server.ml.models.manifest import UnknownModel

    entries: list[Any] = []
    if args.profile:
        name = args.profile
        if name == "none":
            return []
        if name == "auto":
            from inference_server.runtime.models import model_plan

            name = model_plan(settings).recommendation.profile
            _say(f"profile auto -> {name}")
        entries.extend(store.manifest.profile(name))
    for model_id in args.names:
        entries.append(store.manifest.get(model_id))
    if not entries:
        raise UnknownModel("name a model (hsi models list) or a profile (--profile auto)")
    return list({e.id: e for e in entries}.values())


def _pull(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.ml.models.manifest import UnknownModel
    from inference_server.ml.models.pull import ModelPuller, PullError, human_bytes, offline_requested

    store = _store(settings)
    try:
        entries = _targets(args, settings, store)
    except UnknownModel as exc:
        print(f"hsi: {exc}", file=sys.stderr)
        return 2
    if not entries:
        _say("nothing to pull")
        return 0
    tty = sys.stderr.isatty()
    puller = ModelPuller(store, mirror=settings.models.mirror, stream=sys.stderr, tty=tty, say=_say)
    needed = [e for e in entries if args.force or store.status(e).status != "verified"]
    offline_var = offline_requested()
    if needed and offline_var:
        message = (
            f"offline ({offline_var} is set): not pulling {', '.join(e.id for e in needed)}; "
            "copy the files in with `hsi models import FILE`"
        )
        if args.if_online:
            _say(message + "; the server starts with fallbacks")
            return 0
        print(f"hsi: {message}", file=sys.stderr)
        return 1
    if needed and args.if_online:
        ok, why = puller.reachable(needed)
        if not ok:
            _say(
                f"offline: not pulling {', '.join(e.id for e in needed)} ({why}); the server starts with fallbacks"
            )
            return 0
    failed = 0
    for entry in entries:
        try:
            result = puller.pull(entry, force=args.force)
        except PullError as exc:
            failed += 1
            print(f"hsi: {exc}", file=sys.stderr)
            continue
        if result.action == "present":
            _say(f"{entry.id}: already installed and verified at {result.path}")
        else:
            rate = result.size_bytes / max(result.seconds, 1e-6)
            _say(
                f"{entry.id}: installed {human_bytes(result.size_bytes)} in {result.seconds:.1f} s "
                f"({human_bytes(rate)}/s), sha256 {result.sha256[:16]}... checked against {result.checked_against}"
                f" -> {result.path}"
            )
    if failed and not args.if_online:
        return 1
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.ml.models.manifest import UnknownModel
    from inference_server.ml.models.verify import verify_installed

    store = _store(settings)
    try:
        entries = [store.manifest.get(n) for n in args.names] if args.names else store.manifest.models
    except UnknownModel as exc:
        print(f"hsi: {exc}", file=sys.stderr)
        return 2
    bad = checked = 0
    for entry in entries:
        result = verify_installed(store, entry)
        if result is None:
            if args.names:
                _say(f"{entry.id}: not installed (hsi models pull {entry.id})")
                bad += 1
            continue
        checked += 1
        _say(result.message)
        bad += not result.ok
    if not checked and not args.names:
        _say(f"no models installed in {store.root}")
    return 1 if bad else 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.ml.models.pull import PullError
    from inference_server.ml.models.verify import import_model

    store = _store(settings)
    try:
        entry, sha = import_model(store, args.file, args.as_id)
    except PullError as exc:
        print(f"hsi: {exc}", file=sys.stderr)
        return 1
    checked = "matches the manifest" if entry.sha256 else "recorded (no published hash)"
    _say(f"{entry.id}: imported {args.file} -> {store.path(entry)}, sha256 {sha[:16]}... {checked}")
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.ml.models.manifest import UnknownModel

    store = _store(settings)
    status = 0
    for name in args.names:
        try:
            entry = store.manifest.get(name)
        except UnknownModel as exc:
            print(f"hsi: {exc}", file=sys.stderr)
            status = 2
            continue
        with store.lock(entry):
            removed = store.remove(entry)
        _say(f"{entry.id}: removed" if removed else f"{entry.id}: was not installed")
    return status


async def doctor_command(args: argparse.Namespace, settings: Settings) -> int:
    """Print the doctor report (text or JSON)."""
    from inference_server.ml.models.doctor import doctor_report, render_doctor
    from inference_server.ml.models.hardware import probe_hardware
    from inference_server.ml.models.manifest import load_manifest
    from inference_server.ml.models.plan import ModelSettings
    from inference_server.runtime.models import model_plan

    hw = probe_hardware(settings.models_path)
    plan = model_plan(settings, hw)
    report = doctor_report(
        ModelSettings.from_settings(settings), hw, load_manifest(settings.models.manifest), plan
    )
    print(json.dumps(report, indent=2) if args.json else render_doctor(report))
    return 0
