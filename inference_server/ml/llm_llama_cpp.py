"""Risk assessment by a GGUF model running in this process (llama-cpp-python)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from inference_server.domain.assessment import InvalidAssessment, parse_assessment
from inference_server.domain.context import EventContext
from inference_server.domain.prompt import build_messages
from inference_server.domain.risk import RiskAssessment
from inference_server.ml.grammar import assessment_gbnf
from inference_server.ml.protocols import AssessmentFailed, ModelUnavailable

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _compiled(grammar: str) -> Any:
    """The parsed grammar (parsing a long grammar costs milliseconds; the same few recur)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(grammar, verbose=False)


class LlamaCppAssessor:
    """Scores events with a local GGUF model, its output constrained by the assessment grammar.

    Loading happens in the constructor (seconds for a real model): build it at start-up, or in
    an executor. One generation runs at a time in a worker thread; `assess` waits its turn
    without blocking the event loop and gives up after `timeout_s` (a call still queued by then
    never starts; one already generating finishes in the background, bounded by max_tokens).
    """

    name = "llama_cpp"

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 400,
        timeout_s: float = 30.0,
        n_gpu_layers: int | None = None,
        temperature: float = 0.1,
        seed: int | None = None,
        verbose: bool = False,
        chat_handler: Any = None,
    ) -> None:
        """Load the model; `n_gpu_layers=None` offloads every layer when llama.cpp was built with GPU support.

        `chat_handler`: a llama-cpp-python chat handler that replaces the model's own chat
        formatting (the in-process vision step passes its multimodal one, which also takes images)."""
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelUnavailable(
                f"LLM model file {path} does not exist: put a GGUF model there "
                "(for example a Nemotron GGUF) or set HSI_LLM_MODEL_PATH to one"
            )
        import llama_cpp
        from llama_cpp.llama_grammar import LlamaGrammar

        if n_gpu_layers is None:
            n_gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        started = time.perf_counter()
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_gpu_layers=n_gpu_layers,
                seed=seed if seed is not None else llama_cpp.LLAMA_DEFAULT_SEED,
                verbose=verbose,
                chat_handler=chat_handler,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelUnavailable(
                f"LLM model file {path} could not be loaded ({exc}): is it a valid GGUF?"
            ) from exc
        self._grammar = LlamaGrammar.from_string(assessment_gbnf(), verbose=verbose)
        self._max_tokens = max_tokens
        self._timeout_s = timeout_s
        self._temperature = temperature
        self._seed = seed
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama-cpp")
        self.model_path = path
        self.n_gpu_layers = n_gpu_layers
        self.last_usage: dict[str, int] = {}  # token counts of the last completion (prompt_tokens, ...)
        log.info(
            "llm_loaded backend=llama_cpp model=%s n_ctx=%d n_gpu_layers=%d seconds=%.2f",
            path.name,
            n_ctx,
            n_gpu_layers,
            time.perf_counter() - started,
        )

    async def assess(self, context: EventContext) -> RiskAssessment:
        """Return a validated assessment, or raise AssessmentFailed saying why (timeout, bad output)."""
        messages = build_messages(context)
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self._timeout_s
        future = loop.run_in_executor(self._executor, self._generate, messages, deadline)
        try:
            text, finish_reason = await asyncio.wait_for(future, self._timeout_s)
        except TimeoutError:
            raise AssessmentFailed(f"llama_cpp gave no answer within {self._timeout_s:g} s") from None
        except (ValueError, RuntimeError) as exc:  # e.g. a prompt longer than n_ctx
            raise AssessmentFailed(f"llama_cpp failed: {exc}") from exc
        if finish_reason == "cancelled":
            raise AssessmentFailed(f"llama_cpp gave no complete answer within {self._timeout_s:g} s")
        if finish_reason == "length":
            raise AssessmentFailed(
                f"llama_cpp answer was cut off at max_tokens={self._max_tokens} before the JSON object closed"
            )
        try:
            return parse_assessment(text, self.name)
        except InvalidAssessment as exc:
            raise AssessmentFailed(f"llama_cpp answer is invalid: {exc}") from exc

    def _generate(self, messages: list[dict[str, str]], deadline: float) -> tuple[str, str]:
        """Run one chat completion in the worker thread, unless its caller has given up already."""
        with self._lock:
            if time.monotonic() > deadline:
                return "", "cancelled"
            # Not streamed: llama-cpp-python's streaming re-decodes held-back text at every
            # token and is orders of magnitude slower on long or unusual output. A timed-out
            # generation therefore runs on to max_tokens, which bounds it.
            result: Any = self._llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                grammar=self._grammar,
                temperature=self._temperature,
                max_tokens=self._max_tokens,
                seed=self._seed,
            )
            choice = result["choices"][0]
            return choice["message"]["content"] or "", choice.get("finish_reason") or "stop"

    async def complete_text(
        self, messages: list[dict[str, Any]], *, grammar: str | None = None, max_tokens: int = 300
    ) -> str:
        """Free text for `messages` under a GBNF `grammar` (the ask answers, the vision step), in
        the worker thread; `last_usage` then holds its token counts.

        Raises AssessmentFailed on a timeout, a failure or an answer cut off at max_tokens."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self._timeout_s
        future = loop.run_in_executor(
            self._executor, self._generate_text, messages, grammar, max_tokens, deadline
        )
        try:
            text, finish_reason = await asyncio.wait_for(future, self._timeout_s)
        except TimeoutError:
            raise AssessmentFailed(f"llama_cpp gave no answer within {self._timeout_s:g} s") from None
        except (ValueError, RuntimeError) as exc:
            raise AssessmentFailed(f"llama_cpp failed: {exc}") from exc
        if finish_reason == "cancelled":
            raise AssessmentFailed(f"llama_cpp gave no complete answer within {self._timeout_s:g} s")
        if finish_reason == "length":
            raise AssessmentFailed(f"llama_cpp answer was cut off at max_tokens={max_tokens}")
        return text

    def _generate_text(
        self, messages: list[dict[str, Any]], grammar: str | None, max_tokens: int, deadline: float
    ) -> tuple[str, str]:
        with self._lock:
            if time.monotonic() > deadline:
                return "", "cancelled"
            result: Any = self._llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                grammar=_compiled(grammar) if grammar else None,
                temperature=self._temperature,
                max_tokens=max_tokens,
                seed=self._seed,
            )
            self.last_usage = dict(result.get("usage") or {})
            choice = result["choices"][0]
            return choice["message"]["content"] or "", choice.get("finish_reason") or "stop"

    def close(self) -> None:
        """Release the model and the worker thread."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._llm.close()
