"""Assess: score enriched windows (LLM with the heuristic as fallback) and store the events.

The assess stream carries two kinds of entries: `enriched` (a closed window with the context the
enrich stage built: the final event) and `preliminary` (the window stage's fast-path decision: a
heuristic-scored event published at once, refined when the enriched window arrives). Assess
scores and persists; it writes none of enrich's tables (re-ID, baselines). A `window` entry (a
closed window an older version put here) is moved to the enrich stream, so an upgrade loses none.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from inference_server.bus.publish import Publisher
from inference_server.domain.context import EventContext, base_context
from inference_server.domain.detections import Detection
from inference_server.domain.events import Event
from inference_server.domain.feedback import (
    DEFAULT_FEEDBACK_CONFIG,
    FeedbackConfig,
    adjustment,
    apply,
    is_known,
    situation,
)
from inference_server.domain.heuristic import score_context
from inference_server.domain.names import display_name
from inference_server.domain.risk import RiskAssessment
from inference_server.media.key_frames import key_frames
from inference_server.metrics import Metrics
from inference_server.ml.protocols import (
    AssessmentFailed,
    PictureRiskAssessor,
    RiskAssessor,
    SceneAssessor,
)
from inference_server.store import events as event_store
from inference_server.store import feedback as feedback_store
from inference_server.store import media as media_store
from inference_server.store import queries
from inference_server.store.media import MediaRecord
from inference_server.store.streams import StreamEntry, Streams
from inference_server.store.windows import EnrichedWindow, FastPathDecision

log = logging.getLogger(__name__)


class HeuristicAssessor:
    """The deterministic scorer behind the RiskAssessor protocol: always available."""

    name = "heuristic"

    async def assess(self, context: EventContext) -> RiskAssessment:
        """Score the context with the heuristic rules."""
        return score_context(context)


class FallbackAssessor:
    """The chain vision model -> text LLM -> heuristic: each failure or timeout moves one step on.

    The assessment's `assessed_by` says which one answered ("vision", the LLM backend's name,
    "heuristic"); a fallback is logged with its reason and counted in the metrics."""

    def __init__(
        self,
        primary: RiskAssessor | None,
        metrics: Metrics,
        timeout_s: float,
        vision: SceneAssessor | None = None,
        vision_timeout_s: float = 65.0,
    ) -> None:
        self.primary = primary
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.vision = vision
        self.vision_timeout_s = vision_timeout_s
        self.heuristic = HeuristicAssessor()
        self.name = primary.name if primary else "heuristic"

    async def assess_scene(
        self, context: EventContext, images: list[bytes]
    ) -> tuple[EventContext, RiskAssessment]:
        """The vision model's answer on the key frames when it gives a valid one in time (the
        context then carries what it saw: `description` and the seen `attributes`), else
        `assess(context)`."""
        if self.vision is not None and images:
            try:
                answer = await asyncio.wait_for(
                    self.vision.assess_images(context, images), self.vision_timeout_s
                )
                seen = dataclasses.replace(
                    context,
                    description=answer.description,
                    attributes=tuple(dict.fromkeys((*context.attributes, *answer.attributes))),
                )
                return seen, dataclasses.replace(answer.assessment, model=self.vision.model_id)
            except (AssessmentFailed, TimeoutError, OSError) as exc:
                reason = str(exc) or type(exc).__name__
            except Exception as exc:  # a backend bug must not lose the event
                log.exception("assess backend=vision crashed")
                reason = f"backend error: {exc}"
            self.metrics.assessor_fallbacks.labels("vision").inc()
            log.warning("assess fallback backend=vision next=%s reason=%s", self.name, reason)
        return context, await self.assess(context, images)

    @property
    def max_images(self) -> int:
        """How many key frames the chain can use (0: none, do not load them)."""
        vision = self.vision.max_images if self.vision is not None else 0
        primary = self.primary.max_images if isinstance(self.primary, PictureRiskAssessor) else 0
        return max(vision, primary)

    async def assess(self, context: EventContext, images: Sequence[bytes] = ()) -> RiskAssessment:
        """An assessment from the LLM if it gives a valid one in time, else from the heuristic.

        A backend that takes pictures (HA's AI Task) is shown `images` too."""
        if self.primary is not None:
            try:
                if isinstance(self.primary, PictureRiskAssessor) and images:
                    answer = self.primary.assess_with_images(context, images)
                else:
                    answer = self.primary.assess(context)
                result = await asyncio.wait_for(answer, self.timeout_s)
                if result.model is None:
                    model_id = getattr(self.primary, "model_id", None) or self.primary.name
                    result = dataclasses.replace(result, model=str(model_id))
                return result
            except (AssessmentFailed, TimeoutError, OSError) as exc:
                reason = str(exc) or type(exc).__name__
            except Exception as exc:  # a backend bug must not lose the event
                log.exception("assess backend=%s crashed", self.primary.name)
                reason = f"backend error: {exc}"
            self.metrics.assessor_fallbacks.labels(self.primary.name).inc()
            log.warning("assess fallback backend=%s reason=%s", self.primary.name, reason)
        return await self.heuristic.assess(context)


class AssessStage:
    """Consumes enriched windows and fast-path decisions from the assess stream."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        tz: ZoneInfo,
        assessor: FallbackAssessor,
        publisher: Publisher,
        metrics: Metrics,
        streams: Streams | None = None,
        media_dir: Path | None = None,
        feedback: FeedbackConfig | None = DEFAULT_FEEDBACK_CONFIG,
    ) -> None:
        """`streams`: where a legacy `window` entry is moved (without: it becomes a dead letter);
        `media_dir`: where the vision step reads key frames from."""
        self.pool = pool
        self.tz = tz
        self.assessor = assessor
        self.publisher = publisher
        self.metrics = metrics
        self.streams = streams
        self.media_dir = media_dir
        self.feedback = feedback  # None: residents' answers do not change scores

    async def handle(self, entries: list[StreamEntry]) -> list[str]:
        """Assess each entry; returns entry ids to acknowledge."""
        done: list[str] = []
        for entry in entries:
            if "preliminary" in entry.fields:
                await self._fast_path(entry)
            elif "window" in entry.fields and "enriched" not in entry.fields and self.streams is not None:
                await self.streams.add("enrich", {"window": entry.fields["window"]})
                log.info(
                    "assess moved entry id=%s to enrich reason=closed window of an older version", entry.id
                )
            else:
                try:
                    enriched = EnrichedWindow.from_json(entry.fields["enriched"])
                except (KeyError, ValueError, TypeError) as exc:
                    log.warning("assess malformed entry id=%s error=%s", entry.id, exc)
                    await media_store.add_dead_letter(
                        self.pool,
                        stage="assess",
                        reason=f"malformed enriched window: {exc}",
                        payload=dict(entry.fields),
                    )
                else:
                    await self.assess_window(enriched)
            done.append(entry.id)
        return done

    async def assess_window(self, enriched: EnrichedWindow) -> Event | None:
        """Score one enriched window and store/publish its event (idempotent on redelivery)."""
        window = enriched.window
        if await event_store.is_final(self.pool, window.id):
            # Stored by an earlier delivery; its publication may have been cut off after the commit.
            stored = await event_store.fetch_event(self.pool, window.id)
            if stored is not None and not await self.publisher.was_published(window.id, "final"):
                refined = await self.publisher.was_published(window.id, "preliminary")
                await self.publish_final(stored, created=not refined)
            log.info("assess skip event=%s reason=already final", window.id)
            return None
        context = enriched.context
        wanted = self.assessor.max_images
        images = await key_frames(self.pool, self.media_dir, enriched.media_ids, wanted) if wanted else []
        context, scored = await self.assessor.assess_scene(context, images)
        assessment = await self.with_feedback(context, scored, window.id)
        event, created = await event_store.save_event(
            self.pool,
            event_id=window.id,
            camera=window.camera,
            started_at=datetime.fromisoformat(context.started_at),
            ended_at=datetime.fromisoformat(context.ended_at),
            assessment=assessment,
            objects=context.objects,
            zones=sorted({z.name for z in context.zones}),
            context=context.to_dict(),
            fast_path=window.fast,
            final=True,
            media_ids=enriched.media_ids,
            detection_ids=enriched.detection_ids,
            scored_level=scored.risk_level.value,
        )
        self.metrics.events.labels(event.risk_level.value, "final").inc()
        log.info(
            "event %s id=%s camera=%s score=%d level=%s by=%s",
            "created" if created else "refined",
            event.id,
            event.camera,
            event.risk_score,
            event.risk_level.value,
            event.assessed_by,
        )
        await self.publish_final(event, created=created)
        return event

    async def publish_final(self, event: Event, *, created: bool) -> None:
        """Publish the final event once (a retry after a cut, or a redelivery, is a no-op)."""
        await self.publisher.publish_once(
            "event.created" if created else "event.updated", event.to_json(), kind="final"
        )

    async def with_feedback(
        self, context: EventContext, assessment: RiskAssessment, event_id: str
    ) -> RiskAssessment:
        """The assessment adjusted by the residents' answers on similar earlier events."""
        if self.feedback is None:
            return assessment
        started = datetime.fromisoformat(context.started_at)
        past = await feedback_store.past_feedback(
            self.pool,
            context.camera,
            started,
            self.tz,
            self.feedback.lookback_days,
            exclude_event=event_id,
        )
        if not past:
            return assessment
        hour = int(context.local_time.split(":", 1)[0])
        known = is_known(context.attributes, context.known)
        zones = [z.name for z in context.zones]
        key = situation(context.camera, context.objects, zones, hour, known, assessment.risk_level.value)
        change = adjustment(key, past, self.feedback)
        if change.points:
            log.info("feedback event=%s points=%+d similar=%d", event_id, change.points, change.similar)
        return apply(assessment, change, self.feedback)

    async def _fast_path(self, entry: StreamEntry) -> None:
        try:
            decision = FastPathDecision.from_json(entry.fields["preliminary"])
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("assess malformed entry id=%s error=%s", entry.id, exc)
            await media_store.add_dead_letter(
                self.pool,
                stage="assess",
                reason=f"malformed fast-path entry: {exc}",
                payload=dict(entry.fields),
            )
            return
        media = (await media_store.get_media_many(self.pool, [decision.media_id])).get(decision.media_id)
        if media is None:
            log.warning(
                "assess fast_path skipped window=%s media_id=%d reason=media gone",
                decision.window_id,
                decision.media_id,
            )
            return
        detections = [d.detection for d in await media_store.detections_for_media(self.pool, [media.id])]
        await self.preliminary(decision.window_id, media, detections)

    async def preliminary(self, window_id: str, media: MediaRecord, detections: list[Detection]) -> None:
        """Fast path: publish a heuristic-scored event at once; the closed window refines it."""
        counts: dict[str, int] = {}
        for d in detections:
            counts[d.label] = counts.get(d.label, 0) + 1
        context = base_context(
            camera=media.camera,
            camera_name=await queries.camera_name(self.pool, media.camera) or display_name(media.camera),
            started=media.captured_at,
            ended=media.captured_at,
            tz=self.tz,
            detections=detections,
            objects=counts,
            frames=1,
            fast_path=True,
        )
        assessment = await self.assessor.heuristic.assess(context)
        event, created = await event_store.save_event(
            self.pool,
            event_id=window_id,
            camera=media.camera,
            started_at=media.captured_at,
            ended_at=media.captured_at.astimezone(UTC),
            assessment=assessment,
            objects=counts,
            zones=[],
            context=context.to_dict(),
            fast_path=True,
            final=False,
            media_ids=[media.id],
            detection_ids=[],
        )
        if created:
            self.metrics.events.labels(event.risk_level.value, "fast_path").inc()
            log.info("event fast_path id=%s camera=%s score=%d", event.id, event.camera, event.risk_score)
        elif await event_store.is_final(self.pool, window_id):
            return  # the closed window was scored first: its publication says it all
        # Once: a redelivery after a cut between the commit and the publication publishes it then.
        await self.publisher.publish_once("event.created", event.to_json(), kind="preliminary")
