"""The `hsi` command."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from inference_server import __version__
from inference_server.logs import install, redact
from inference_server.settings import ConfigError, Settings, load_settings

log = logging.getLogger("inference_server")


def _setup_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr)
    # One filter on every line: control characters escaped, credentials scrubbed.
    install(
        getattr(logging, level.upper(), logging.INFO),
        "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
    )
    for noisy in ("aiohttp.access", "pyftpdlib", "watchfiles", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hsi", description="Home Security Intelligence inference server")
    p.add_argument("--version", action="version", version=f"hsi {__version__}")
    p.add_argument("--config", help="YAML settings file (also HSI_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("serve", help="run the API and every pipeline stage in one process")
    w = sub.add_parser(
        "worker", help="run selected pipeline stages (several processes/machines share the work)"
    )
    w.add_argument(
        "--stage",
        action="append",
        required=True,
        choices=["ingest", "detect", "window", "enrich", "assess", "publish", "ftp"],
        help="stage to run (repeatable)",
    )
    sub.add_parser("migrate", help="apply database migrations and exit")

    d = sub.add_parser("demo", help="run the pipeline on sample images and print the scored events")
    d.add_argument("--keep-services", action="store_true", help=argparse.SUPPRESS)
    d.add_argument(
        "--log",
        metavar="FILE",
        help="where the services' and libraries' logs go (default <data dir>/demo.log)",
    )

    b = sub.add_parser("bench", help="measure pipeline throughput against the raw detector")
    b.add_argument("--images", type=int, default=200, help="number of images to feed (default 200)")
    b.add_argument(
        "--detector",
        default="onnx",
        choices=["onnx", "openvino", "yolo", "opencv", "replay"],
        help="detector (default onnx; replay = recorded detections at a fixed cost, see --replay-ms)",
    )
    b.add_argument("--batch", type=int, default=8, help="detector batch size")
    b.add_argument(
        "--recorded",
        action="store_true",
        help="load generator: the detector runs for its cost, recorded detections are returned",
    )
    b.add_argument("--replay-ms", type=float, default=30.0, help="cost per frame of --detector replay")
    b.add_argument("--cameras", type=int, default=4, help="cameras the files are spread over (default 4)")
    b.add_argument("--burst", type=int, default=5, help="files per camera burst, one event each (default 5)")
    b.add_argument("--precision", choices=["fp32", "fp16", "int8"], help="detector precision")
    b.add_argument("--threads", type=int, help="detector runtime threads (0 = one per core)")
    b.add_argument(
        "--int8",
        action="store_true",
        help="also compare INT8 with FP32 (agreement, speed-up) per CPU runtime",
    )
    b.add_argument(
        "--serve",
        action="store_true",
        help="memory run: a real `hsi serve` child process on --cameras cameras; its peak RSS",
    )
    b.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="soak: --rate uploads/s over --cameras cameras into a real `hsi serve` child for MINUTES; "
        "its RSS and the stream depths sampled over time; fails when an upload is lost",
    )
    b.add_argument("--rate", type=float, default=1.0, help="uploads per second of --soak (default 1)")
    b.add_argument(
        "--sample-seconds", type=float, default=5.0, help="sampling interval of --soak (default 5)"
    )
    b.add_argument("--compare", metavar="FILE", help="print ratios against an earlier run's --json file")
    b.add_argument("--api", action="store_true", help="also benchmark GET /api/events with 100,000 events")
    b.add_argument(
        "--alerts",
        type=int,
        default=0,
        metavar="N",
        help="also time N file-to-MQTT-alert round trips of fast-path events (needs MQTT)",
    )
    b.add_argument("--json", dest="json_out", help="also write the results to this JSON file")

    a = sub.add_parser("apikey", help="create, list or revoke API keys")
    asub = a.add_subparsers(dest="action", required=True)
    ac = asub.add_parser("create", help="create a key (printed once)")
    ac.add_argument("name")
    ac.add_argument("--scope", choices=["read", "admin"], default="read")
    asub.add_parser("list", help="list keys")
    ar = asub.add_parser("revoke", help="revoke a key by id or name")
    ar.add_argument("key")

    s = sub.add_parser(
        "assess",
        help="score an event context JSON file and/or images through the pipeline and print the assessment",
    )
    s.add_argument("context", nargs="?", help="path of an EventContext JSON file ('-' for stdin)")
    s.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="FILE",
        help="a JPEG/PNG: detected with the configured detector (without a context file) and shown to "
        "the vision model when one is set (vlm_url, or vlm_model_path + vlm_mmproj_path; repeatable)",
    )
    s.add_argument(
        "--camera", default="cli", help="camera id of the context built from --image (default cli)"
    )
    s.add_argument(
        "--backend",
        choices=["llama_cpp", "openai", "home_assistant", "heuristic"],
        help="override HSI_LLM_BACKEND",
    )
    c = sub.add_parser(
        "calibrate", help="score the calibration scenarios and report agreement with expected levels"
    )
    c.add_argument(
        "--backend",
        choices=["llama_cpp", "openai", "home_assistant", "heuristic"],
        help="override HSI_LLM_BACKEND",
    )
    c.add_argument("--scenarios", help="folder of scenario JSON files (default: the bundled suite)")
    c.add_argument(
        "--feedback",
        action="store_true",
        help="also report agreement after simulated residents' answers (docs/scoring.md, Feedback)",
    )
    c.add_argument(
        "--feedback-repeats",
        type=int,
        default=3,
        metavar="N",
        help="earlier answers per scenario situation with --feedback (default 3)",
    )
    from inference_server.cli_models import add_parsers

    add_parsers(sub)
    from inference_server.cli_status import add_parser as add_status_parser

    add_status_parser(sub)
    from inference_server.cli_ask import add_parser as add_ask_parser

    add_ask_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"hsi: configuration error: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings.log_level)
    commands: dict[str, Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]] = {
        "serve": _serve,
        "worker": _worker,
        "migrate": _migrate,
        "demo": _demo,
        "bench": _bench,
        "apikey": _apikey,
        "assess": _assess,
        "calibrate": _calibrate,
        "models": _models,
        "doctor": _doctor,
        "status": _status,
        "ask": _ask,
    }
    try:
        return asyncio.run(commands[args.command](args, settings))
    except KeyboardInterrupt:
        return 130
    except ToolsUnavailable as exc:
        print(f"hsi: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from inference_server.ml.models.manifest import ManifestError
        from inference_server.ml.protocols import ModelUnavailable
        from inference_server.runtime.services import ServiceUnavailable

        if isinstance(exc, (ConfigError, ServiceUnavailable, ModelUnavailable, ManifestError)):
            print(f"hsi: {redact(str(exc))}", file=sys.stderr)
            return 2 if isinstance(exc, (ConfigError, ManifestError)) else 3
        raise


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    return stop


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.runtime.app import serve

    return await serve(settings, stages=None, stop=_stop_on_signals())


async def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.runtime.app import serve

    return await serve(settings, stages=tuple(dict.fromkeys(args.stage)), stop=_stop_on_signals())


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.runtime.services import ServiceUnavailable
    from inference_server.store.db import DatabaseUnavailable, create_pool, migrate

    try:
        pool = await create_pool(settings.database.url)
    except DatabaseUnavailable as exc:
        raise ServiceUnavailable(str(exc)) from exc
    try:
        applied = await migrate(pool)
    finally:
        await pool.close()
    print(f"applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


class ToolsUnavailable(Exception):
    """What `hsi demo` / `hsi bench` need is missing (tools/ of a source checkout, the demo extra)."""


def _tool(module: str) -> Any:
    """Import `tools.<module>` from the source checkout this package runs from.

    The benchmarks and the demo are not part of the installed package (a wheel has no tools/):
    a checkout's root is put on sys.path when the package is imported from that checkout.
    """
    root = Path(__file__).resolve().parent.parent
    if (root / "tools" / "__init__.py").is_file() and sys.path[:1] != [str(root)]:
        sys.path.insert(0, str(root))  # ahead of any unrelated `tools`/`tests` in site-packages
    try:
        return importlib.import_module(f"tools.{module}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("tools", f"tools.{module}"):
            raise
        raise ToolsUnavailable(
            f"'hsi {module}' needs the tools/ folder of a source checkout, which an installed package "
            "does not include: run it from a git clone (./scripts/demo, .venv/bin/hsi ...)"
        ) from None


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    demo = _tool("demo")
    return int(await demo.run_demo(settings, Path(args.log) if args.log else None))


async def _bench(args: argparse.Namespace, settings: Settings) -> int:
    bench = _tool("bench")
    try:
        return int(
            await bench.run_bench(
                settings,
                images=args.images,
                detector=args.detector,
                batch=args.batch,
                alerts=args.alerts,
                api=args.api,
                json_out=Path(args.json_out) if args.json_out else None,
                recorded=args.recorded,
                replay_ms=args.replay_ms,
                cameras=args.cameras,
                burst=args.burst,
                compare=Path(args.compare) if args.compare else None,
                precision=args.precision,
                threads=args.threads,
                int8=args.int8,
                serve=args.serve,
                soak_minutes=args.soak,
                soak_rate=args.rate,
                soak_sample_seconds=args.sample_seconds,
            )
        )
    except bench.BenchFailed as exc:
        print(f"hsi bench: FAILED: {exc}", file=sys.stderr)
        return 2


async def _apikey(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.runtime.services import open_services
    from inference_server.store import api_keys

    services = await open_services(settings)
    try:
        if args.action == "create":
            info, plaintext = await api_keys.create_key(services.pool, args.name, args.scope, actor="cli")
            print(f"created key id={info['id']} name={info['name']} scope={info['scope']}")
            print(f"API key (shown once, store it now): {plaintext}")
        elif args.action == "list":
            rows = await api_keys.list_keys(services.pool)
            if not rows:
                print("no API keys")
            for row in rows:
                print(
                    f"{row['id']}\t{row['name']}\t{row['scope']}\t"
                    f"{'revoked' if row.get('revoked_at') else 'active'}\tcreated {row['created_at']}"
                )
        else:
            if not await api_keys.revoke_key(services.pool, args.key, actor="cli"):
                print(f"hsi: no active key {args.key!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.key}")
    finally:
        await services.close()
    return 0


async def _assess(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.domain.context import EventContext, InvalidContext
    from inference_server.metrics import Metrics
    from inference_server.pipeline.assess import FallbackAssessor
    from inference_server.runtime.models import build_llm, build_vision

    if args.context is None and not args.image:
        print("hsi: give an event context JSON file, --image FILE, or both", file=sys.stderr)
        return 2
    images: list[bytes] = []
    for name in args.image:
        try:
            images.append(Path(name).read_bytes())
        except OSError as exc:
            print(f"hsi: cannot read {name}: {exc.strerror}", file=sys.stderr)
            return 2
    detected = 0
    if args.context is not None:
        try:
            raw = sys.stdin.read() if args.context == "-" else Path(args.context).read_text(encoding="utf-8")
        except OSError as exc:
            print(f"hsi: cannot read {args.context}: {exc.strerror}", file=sys.stderr)
            return 2
        try:
            doc: Any = json.loads(raw)
            if isinstance(doc, dict) and "context" in doc and "camera" not in doc:
                doc = doc["context"]  # a calibration scenario file
            context = EventContext.from_dict(doc)
        except json.JSONDecodeError as exc:
            print(f"hsi: {args.context} is not valid JSON: {exc}", file=sys.stderr)
            return 2
        except InvalidContext as exc:
            print(f"hsi: invalid event context: {exc}", file=sys.stderr)
            return 2
    else:
        built = await _image_context(settings, args.image, images, args.camera)
        if isinstance(built, str):
            print(f"hsi: {built}", file=sys.stderr)
            return 2
        context, detected = built
    if args.backend:
        settings = settings.replace(llm_backend=args.backend)
    llm = build_llm(settings)
    vision = await asyncio.to_thread(build_vision, settings)
    assessor = FallbackAssessor(
        llm, Metrics(), settings.llm.timeout_seconds + 5, vision, settings.llm.vlm_timeout_seconds + 5
    )
    try:
        context, result = await assessor.assess_scene(context, images)
    finally:
        for backend in (llm, vision):
            close = getattr(backend, "close", None)
            if close is not None:
                closed = close()  # LlamaCppAssessor.close is synchronous, the others are not
                if inspect.isawaitable(closed):
                    await closed
    out: dict[str, Any] = {
        "risk_score": result.risk_score,
        "risk_level": result.risk_level.value,
        "summary": result.summary,
        "reasoning": result.reasoning,
        "assessed_by": result.assessed_by,
        "model": result.model,
    }
    if args.image:
        out["objects"] = context.objects
        out["detections"] = detected
        out["description"] = context.description
        out["attributes"] = list(context.attributes)
        if vision is not None:
            out["vision_seconds"] = round(vision.last_seconds, 3)
    print(json.dumps(out, indent=2))
    return 0


async def _image_context(
    settings: Settings, names: list[str], images: list[bytes], camera: str
) -> tuple[Any, int] | str:
    """The context of one event made of these images, detected by the configured detector."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from inference_server.domain.context import base_context
    from inference_server.domain.names import display_name
    from inference_server.ml.frames import UndecodableMedia, decode_image
    from inference_server.runtime.models import build_detector

    frames = []
    for name, data in zip(names, images, strict=True):
        try:
            frames.append(decode_image(data))
        except UndecodableMedia as exc:
            return f"{name} is not a usable image: {exc}"
    detector = await asyncio.to_thread(build_detector, settings)
    found = await asyncio.to_thread(detector.detect, frames)
    detections = [d for per_frame in found for d in per_frame]
    counts: dict[str, int] = {}
    for per_frame in found:
        seen: dict[str, int] = {}
        for d in per_frame:
            seen[d.label] = seen.get(d.label, 0) + 1
        for label, n in seen.items():
            counts[label] = max(counts.get(label, 0), n)
    now = datetime.now(UTC)
    configured = settings.cameras.get(camera)
    context = base_context(
        camera=camera,
        camera_name=(configured.name if configured and configured.name else display_name(camera)),
        started=now,
        ended=now,
        tz=ZoneInfo(settings.timezone),
        detections=detections,
        objects=counts,
        frames=len(frames),
    )
    return context, len(detections)


async def _models(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.cli_models import models_command

    return await models_command(args, settings)


async def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.cli_models import doctor_command

    return await doctor_command(args, settings)


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.cli_status import status_command

    return await status_command(args, settings)


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.cli_ask import ask_command

    return await ask_command(args, settings)


async def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from inference_server.domain.calibration import (
        default_scenario_dir,
        evaluate,
        evaluate_with_feedback,
        load_scenarios,
    )
    from inference_server.domain.risk import RiskAssessment
    from inference_server.ml.protocols import AssessmentFailed
    from inference_server.pipeline.assess import HeuristicAssessor
    from inference_server.runtime.models import build_llm

    scenarios = load_scenarios(Path(args.scenarios) if args.scenarios else default_scenario_dir())
    if args.backend:
        settings = settings.replace(llm_backend=args.backend)
    llm = build_llm(settings) or HeuristicAssessor()
    heuristic = HeuristicAssessor()
    answers: dict[str, RiskAssessment] = {}
    failures = 0
    for scenario in scenarios:
        try:
            answers[scenario.name] = await asyncio.wait_for(
                llm.assess(scenario.context), settings.llm.timeout_seconds + 5
            )
        except (AssessmentFailed, TimeoutError) as exc:
            failures += 1
            log.warning("calibrate scenario=%s backend=%s failed: %s", scenario.name, llm.name, exc)
            answers[scenario.name] = await heuristic.assess(scenario.context)
    by_context = {id(s.context): answers[s.name] for s in scenarios}
    report = evaluate(lambda ctx: by_context[id(ctx)], scenarios)
    print(f"backend: {llm.name}   scenarios: {report.total}   valid model answers: {report.total - failures}")
    if not args.feedback:
        print(report.describe())
        return 0
    if args.feedback_repeats < 0:
        print("error: --feedback-repeats must not be negative", file=sys.stderr)
        return 2
    feedback = evaluate_with_feedback(
        lambda ctx: by_context[id(ctx)], scenarios, repeats=args.feedback_repeats
    )
    print(feedback.describe())
    return 0
