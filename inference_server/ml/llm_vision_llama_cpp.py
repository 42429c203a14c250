"""The vision step in this process: a multimodal GGUF (text model + projector) under llama-cpp-python.

A vision-language model in GGUF comes as two files: the text model (`vlm_model_path`) and its
multimodal projector (`vlm_mmproj_path`, the "mmproj" file that turns image patches into text
embeddings). llama-cpp-python's `MTMDChatHandler` (libmtmd, the library behind llama.cpp's
`llama-server --mmproj`) formats the chat with the model's own template and puts the images
where the `image_url` parts are. The request is the remote vision path's (ml/llm_vision.py):
the same messages (domain/vision.py) with the key frames as `data:image/jpeg;base64,...` URLs,
each scaled to `max_pixels`; the answer is constrained by the vision grammar (ml/grammar.py,
the text backend's rules plus description and attributes) and validated by
`parse_vision_answer`. Generation runs on the text backend's worker thread with its timeout and
cut-off handling (ml/llm_llama_cpp.py); any failure raises AssessmentFailed, and the caller
falls back to the text LLM, then the heuristic, recording which one answered.

libmtmd aborts the whole process (GGML_ASSERT) on some malformed projectors instead of
reporting an error, so before loading, `check_vision_files` checks both files (readable, GGUF
magic, a text model and a projector, not swapped) and `probe_vision_load` loads both in a child
process, checks the projector has a vision encoder and fits the text model, and encodes one small
image: a bad file is a ModelUnavailable quoting llama.cpp's error lines, never a crash.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Final

from inference_server.domain.assessment import InvalidAssessment
from inference_server.domain.context import EventContext
from inference_server.domain.vision import VisionAnswer, build_vision_messages, parse_vision_answer
from inference_server.ml.grammar import vision_gbnf
from inference_server.ml.llm_vision import frame_urls
from inference_server.ml.protocols import AssessmentFailed, ModelUnavailable

log = logging.getLogger(__name__)

GGUF_MAGIC: Final = b"GGUF"
PROBE_TIMEOUT_S: Final = 180.0
_PROBE_OK: Final = "HSI_VISION_PROBE_OK"
_LOG_TAIL_LINES: Final = 4
_ERROR_LINE: Final = re.compile(
    r"\berror\b|GGML_ASSERT|GGML_ABORT|failed|exception|mismatch|unable to|terminate called|^hsi probe:", re.I
)
_SOURCE_PATH: Final = re.compile(r"\S*/([\w.-]+\.(?:c|cc|cpp|h):\d+)")


def check_vision_files(model_path: Path, mmproj_path: Path) -> tuple[Path, Path]:
    """Both files exist, are readable GGUF and are what their setting says; raises ModelUnavailable.

    Reads only the start of each header."""
    model = _readable_gguf(Path(model_path).expanduser(), "vlm_model_path", "the vision model's text GGUF")
    mmproj = _readable_gguf(
        Path(mmproj_path).expanduser(), "vlm_mmproj_path", "the vision model's projector (mmproj) GGUF"
    )
    model_arch = _architecture(model)
    mmproj_arch = _architecture(mmproj)
    if model_arch == "clip":
        raise ModelUnavailable(
            f"vlm_model_path {model} is a multimodal projector, not a text model: "
            "are vlm_model_path and vlm_mmproj_path swapped?"
        )
    if mmproj_arch != "clip":
        raise ModelUnavailable(
            f"vlm_mmproj_path {mmproj} is not a multimodal projector (architecture {mmproj_arch!r}, "
            "expected 'clip'): use the mmproj-*.gguf published with the vision model"
        )
    return model, mmproj


def _readable_gguf(path: Path, setting: str, what: str) -> Path:
    if not path.is_file():
        raise ModelUnavailable(f"setting '{setting}': {path} does not exist: put {what} there")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelUnavailable(f"setting '{setting}': cannot read {path}: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise ModelUnavailable(
            f"setting '{setting}': {path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')"
        )
    return path


_SCALAR_SIZES: Final = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_KEY_BYTES: Final = 1 << 16


def _architecture(path: Path) -> str:
    """`general.architecture` of a GGUF file, read from its header ("" when absent).

    Reads key by key and stops at that one (the first in files written by llama.cpp's tools),
    without parsing a vocabulary of 150,000 tokens the way gguf.GGUFReader does."""
    try:
        with path.open("rb") as handle:
            _, version, _, n_kv = struct.unpack("<4sIQQ", _exactly(handle, 24))
            if not 1 <= version <= 3:
                raise ValueError(f"GGUF version {version} is not one this server reads")
            for _ in range(n_kv):
                key = _string(handle)
                (kind,) = struct.unpack("<I", _exactly(handle, 4))
                if key == "general.architecture" and kind == _STRING:
                    return _string(handle)
                _skip_value(handle, kind)
    except (ValueError, OSError, struct.error, UnicodeDecodeError) as exc:
        raise ModelUnavailable(f"{path} is a damaged GGUF file (its header cannot be read: {exc})") from exc
    return ""


def _exactly(handle: BinaryIO, n: int) -> bytes:
    data = handle.read(n)
    if len(data) != n:
        raise ValueError("the file ends inside its header")
    return data


def _string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", _exactly(handle, 8))
    if length > _MAX_KEY_BYTES:
        raise ValueError(f"a {length}-byte string in the header")
    return _exactly(handle, length).decode("utf-8")


def _skip_value(handle: BinaryIO, kind: int) -> None:
    if kind in _SCALAR_SIZES:
        handle.seek(_SCALAR_SIZES[kind], io.SEEK_CUR)
    elif kind == _STRING:
        (length,) = struct.unpack("<Q", _exactly(handle, 8))
        handle.seek(length, io.SEEK_CUR)
    elif kind == _ARRAY:
        item, count = struct.unpack("<IQ", _exactly(handle, 12))
        if item in _SCALAR_SIZES:
            handle.seek(_SCALAR_SIZES[item] * count, io.SEEK_CUR)
        else:
            for _ in range(count):
                _skip_value(handle, item)
    else:
        raise ValueError(f"unknown value type {kind}")


def probe_vision_load(
    model_path: Path, mmproj_path: Path, *, use_gpu: bool, timeout_s: float = PROBE_TIMEOUT_S
) -> None:
    """Load the text model (CPU, memory-mapped) and the projector and encode one image, in a child process.

    Raises ModelUnavailable with the child's last log lines when it fails, aborts or hangs."""
    command = [sys.executable, "-m", __name__, str(model_path), str(mmproj_path), "1" if use_gpu else "0"]
    # This very package, whatever the working directory or an installed copy.
    root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
        "GGML_NO_BACKTRACE": "1",  # an abort prints its reason, not a debugger's stack dump
    }
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=timeout_s, env=env
        )
    except subprocess.TimeoutExpired:
        raise ModelUnavailable(
            f"loading the vision projector {mmproj_path} took over {timeout_s:g} s in a test process"
        ) from None
    if done.returncode == 0 and _PROBE_OK in done.stdout:
        log.info("vlm_probe ok mmproj=%s seconds=%.2f", Path(mmproj_path).name, time.perf_counter() - started)
        return
    how = f"exit code {done.returncode}" if done.returncode >= 0 else _signal_name(-done.returncode)
    tail = " | ".join(_reasons(done.stderr + "\n" + done.stdout)) or "no output"
    raise ModelUnavailable(
        f"the vision model {Path(model_path).name} with projector {Path(mmproj_path).name} "
        f"does not load ({how} in a test process): {tail}; "
        "check that vlm_mmproj_path is the projector published for that very model"
    )


def _signal_name(number: int) -> str:
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"


def _reasons(output: str) -> list[str]:
    """The lines of llama.cpp's log that say what went wrong, else its last lines."""
    lines = [_SOURCE_PATH.sub(r"\1", line.strip()) for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if _ERROR_LINE.search(line)]
    return (errors or lines)[-_LOG_TAIL_LINES:]


def _probe_main(model_path: str, mmproj_path: str, use_gpu: bool) -> int:
    """The child process of probe_vision_load: may abort; says _PROBE_OK on stdout when all went well."""
    import ctypes

    import llama_cpp
    import llama_cpp.mtmd_cpp as mtmd
    from PIL import Image

    llama_cpp.llama_backend_init()
    params = llama_cpp.llama_model_default_params()
    # On the CPU and memory-mapped: cheap, and the pages read are those the server loads next.
    # (A vocabulary-only load would be cheaper still, but then the text model reports no width
    # and libmtmd cannot check that the projector fits it.)
    params.n_gpu_layers = 0
    model = llama_cpp.llama_model_load_from_file(model_path.encode(), params)
    if not model:
        print(f"hsi probe: cannot load the text model {model_path}", file=sys.stderr)
        return 3
    ctx_params = mtmd.mtmd_context_params_default()
    ctx_params.use_gpu = use_gpu
    ctx_params.print_timings = False
    ctx = mtmd.mtmd_init_from_file(mmproj_path.encode(), model, ctx_params)
    if not ctx:
        print(f"hsi probe: cannot load the projector {mmproj_path} for this text model", file=sys.stderr)
        return 4
    if not mtmd.mtmd_support_vision(ctx):
        print(f"hsi probe: the projector {mmproj_path} has no vision encoder (audio only?)", file=sys.stderr)
        return 5
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 30)).save(out, format="JPEG")
    data = out.getvalue()
    bitmap = mtmd.mtmd_helper_bitmap_init_from_buf(
        ctx, (ctypes.c_uint8 * len(data)).from_buffer(bytearray(data)), len(data), False
    )
    if not bitmap:
        print("hsi probe: the projector cannot take a JPEG image", file=sys.stderr)
        return 6
    text = mtmd.mtmd_input_text()
    prompt = ("look: " + mtmd.mtmd_default_marker().decode("utf-8")).encode("utf-8")
    text.text, text.text_len, text.add_special, text.parse_special = prompt, len(prompt), True, True
    chunks = mtmd.mtmd_input_chunks_init()
    bitmaps = (mtmd.mtmd_bitmap_p_ctypes * 1)(bitmap)
    if mtmd.mtmd_tokenize(ctx, chunks, ctypes.byref(text), bitmaps, 1) != 0:
        print("hsi probe: the projector cannot tokenize an image", file=sys.stderr)
        return 7
    for i in range(mtmd.mtmd_input_chunks_size(chunks)):
        chunk = mtmd.mtmd_input_chunks_get(chunks, i)
        if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_IMAGE:
            if mtmd.mtmd_encode_chunk(ctx, chunk) != 0:
                print("hsi probe: the projector failed to encode an image", file=sys.stderr)
                return 8
    print(_PROBE_OK)
    return 0


class LlamaCppVisionAssessor:
    """Scores an event from its context plus key frames with a multimodal GGUF in this process.

    Loading happens in the constructor (a probe in a child process, then the model: seconds for a
    real one): build it at start-up, off the event loop. One generation runs at a time."""

    name = "vision"

    def __init__(
        self,
        model_path: Path,
        mmproj_path: Path,
        *,
        model_id: str | None = None,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        timeout_s: float = 60.0,
        max_images: int = 4,
        max_pixels: int = 640 * 640,
        max_tokens: int = 500,
        temperature: float = 0.1,
        seed: int | None = None,
        probe: bool = True,
        probe_timeout_s: float = PROBE_TIMEOUT_S,
        verbose: bool = False,
    ) -> None:
        """Check both files, probe them in a child process, then load; raises ModelUnavailable."""
        model, mmproj = check_vision_files(model_path, mmproj_path)
        import llama_cpp
        from llama_cpp.llama_chat_format import MTMDChatHandler

        from inference_server.ml.llm_llama_cpp import LlamaCppAssessor

        if n_gpu_layers is None:
            n_gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        use_gpu = n_gpu_layers != 0
        if probe:
            probe_vision_load(model, mmproj, use_gpu=use_gpu, timeout_s=probe_timeout_s)
        started = time.perf_counter()
        handler = MTMDChatHandler(clip_model_path=str(mmproj), verbose=verbose, use_gpu=use_gpu)
        self._llm = LlamaCppAssessor(
            model,
            n_ctx=n_ctx,
            n_threads=n_threads,
            max_tokens=max_tokens,
            timeout_s=timeout_s,
            n_gpu_layers=n_gpu_layers,
            temperature=temperature,
            seed=seed,
            verbose=verbose,
            chat_handler=handler,
        )
        try:
            # The handler would load the projector at the first request; load it now, so that a
            # mismatch is a start-up error. (Private in llama-cpp-python 0.3.36, which is pinned.)
            handler._init_mtmd_context(self._llm._llm)
        except (ValueError, RuntimeError) as exc:
            self._llm.close()
            raise ModelUnavailable(f"the vision projector {mmproj} could not be loaded: {exc}") from exc
        self.model_id = model_id or model.stem
        self.model_path = model
        self.mmproj_path = mmproj
        self.max_images = max_images
        self.max_pixels = max_pixels
        self._max_tokens = max_tokens
        self._timeout_s = timeout_s
        self.last_seconds = 0.0
        self.last_prompt_tokens = 0  # prompt tokens of the last request, the images' tokens included
        log.info(
            "vlm_loaded backend=llama_cpp model=%s mmproj=%s n_ctx=%d n_gpu_layers=%d seconds=%.2f",
            model.name,
            mmproj.name,
            n_ctx,
            n_gpu_layers,
            time.perf_counter() - started,
        )

    async def assess_images(self, context: EventContext, images: Sequence[bytes]) -> VisionAnswer:
        """A validated answer for the context and images, or AssessmentFailed saying why.

        Images that cannot be decoded are skipped (logged); none left is a failure."""
        urls = frame_urls(images, self.max_images, self.max_pixels)
        messages = build_vision_messages(context, urls)
        started = time.perf_counter()
        try:
            text = await self._llm.complete_text(messages, grammar=vision_gbnf(), max_tokens=self._max_tokens)
        except AssessmentFailed as exc:
            raise AssessmentFailed(f"in-process vision model {self.model_id}: {exc}") from exc
        finally:
            self.last_seconds = time.perf_counter() - started
            self.last_prompt_tokens = int(self._llm.last_usage.get("prompt_tokens", 0))
        try:
            answer = parse_vision_answer(text, self.name)
        except InvalidAssessment as exc:
            raise AssessmentFailed(
                f"the answer of the vision model {self.model_id} is invalid: {exc}"
            ) from exc
        if answer.dropped:
            log.info("vision dropped unknown attributes: %s", ",".join(answer.dropped))
        log.info(
            "vision assessed backend=llama_cpp images=%d prompt_tokens=%d seconds=%.3f",
            len(urls),
            self.last_prompt_tokens,
            self.last_seconds,
        )
        return answer

    async def close(self) -> None:
        """Release the model, its projector and the worker thread."""
        self._llm.close()


def _main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m inference_server.ml.llm_vision_llama_cpp MODEL MMPROJ USE_GPU(0|1)")
        return 2
    return _probe_main(argv[0], argv[1], argv[2] == "1")


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
