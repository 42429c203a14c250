"""The enrich stage: a closed window -> its EventContext (zones, tracks, re-ID, plates, baseline).

The window stage puts each closed window on the enrich stream (`window`); `EnrichStage.handle`
builds its context, files what this stage owns (re-ID `entities`/`sightings`, licence plate
`plate_reads`, baseline `baseline_slots`/`baseline_cameras`/`baselines`) and puts the context
on the assess stream (`enriched`, `store/windows.EnrichedWindow`), which scores it without
writing any of these.
Every write is idempotent per event (a sighting per event and detection, an event's plate reads
and counts replaced, each hour slot folded once), so a redelivered window changes nothing.

`domain/context.base_context` holds the facts that need no database (the fast path uses it alone).
`ContextBuilder.build` adds, for a closed window:
- tracks: the window's detections, in capture order across all its media, linked into tracks
  (domain/tracking.py) with dwell per zone, tripwire crossings and an approach vector;
- zones: the camera's zones (from the database) that objects stood in, with the longest dwell;
- re-ID: one crop per person/vehicle track (its most confident detection), embedded off the
  event loop and matched against the entities of the last `reid_window_hours` on every camera;
  the context lists where else the same entity was seen;
- baseline: per object class, how unusual this hour's count is for the camera and hour of week;
  the event's counts are filed so that the model learns from it once the hour is over;
- plates and faces (cameras that opted in): plates read on vehicle tracks, faces found and
  embedded on person tracks, matched against the residents' galleries; the context says only
  known / not known (docs/behaviour.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg
import numpy as np

from inference_server.domain.baseline import (
    DEFAULT_CONFIG,
    BaselineCell,
    BaselineConfig,
    anomaly,
    hour_of_week,
)
from inference_server.domain.behaviour import DEFAULT_BEHAVIOUR_CONFIG, BehaviourConfig, detect_behaviours
from inference_server.domain.context import (
    BaselineInfo,
    EventContext,
    FaceSighting,
    KnownEntity,
    PlateSighting,
    ReidSighting,
    TrackSummary,
    base_context,
)
from inference_server.domain.detections import Box, Detection, category_of
from inference_server.domain.faces import (
    DEFAULT_FACE_CONFIG,
    FaceConfig,
    FaceObservation,
    best_face,
    match_face,
)
from inference_server.domain.names import display_name
from inference_server.domain.plates import (
    DEFAULT_PLATE_CONFIG,
    PlateConfig,
    PlateRead,
    assemble,
    match_known,
    plate_repeated_visits,
)
from inference_server.domain.tracking import FrameObservation, Track, summarize, track
from inference_server.media.key_frames import MIN_CROP_PIXELS, load_frame
from inference_server.ml.embedder_clip import crop
from inference_server.ml.protocols import Embedder, FaceReader, PlateReader
from inference_server.store import events as event_store
from inference_server.store import faces as face_store
from inference_server.store import feedback as feedback_store
from inference_server.store import media as media_store
from inference_server.store import plates as plate_store
from inference_server.store import queries, understanding
from inference_server.store import tripwires as tripwire_store
from inference_server.store.media import MediaRecord, StoredDetection
from inference_server.store.streams import StreamEntry, Streams
from inference_server.store.understanding import ReidStore
from inference_server.store.windows import ClosedWindow, EnrichedWindow

log = logging.getLogger(__name__)

REID_CATEGORIES = ("person", "vehicle")
# Licence plates: the largest boxes of a vehicle track are read (the closest views of the car).
PLATE_FRAMES_PER_TRACK = 2
# Faces: the largest boxes of a person track are searched (the closest views of the person).
FACE_FRAMES_PER_TRACK = 2


@dataclass(frozen=True, slots=True)
class _CropJob:
    """One detection to cut out and embed: where its frame is and which box."""

    track_label: str
    track_id: int
    stored: StoredDetection
    media: MediaRecord
    path: Path


class ContextBuilder:
    """Loads what a closed window refers to and builds its context.

    Without an `embedder` (or without `media_dir`, where the uploads are stored) there is no
    re-ID; everything else needs only the database. Call `prepare()` at start-up to set up
    pgvector search (otherwise the first `build` does it) and `close()` at shutdown.
    `vector_search`: None detects pgvector, False forces the exact search in the application.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        tz: ZoneInfo,
        *,
        embedder: Embedder | None = None,
        media_dir: Path | None = None,
        reid_threshold: float = 0.85,
        reid_window_hours: float = 24.0,
        baseline_config: BaselineConfig = DEFAULT_CONFIG,
        vector_search: bool | None = None,
        behaviour_config: BehaviourConfig = DEFAULT_BEHAVIOUR_CONFIG,
        plate_reader: PlateReader | None = None,
        plate_cameras: frozenset[str] = frozenset(),
        plate_config: PlateConfig = DEFAULT_PLATE_CONFIG,
        plate_max_tracks: int = 4,
        face_reader: FaceReader | None = None,
        face_cameras: frozenset[str] = frozenset(),
        face_config: FaceConfig = DEFAULT_FACE_CONFIG,
        face_max_tracks: int = 4,
    ) -> None:
        self.pool = pool
        self.tz = tz
        self.embedder = embedder
        self.media_dir = media_dir
        self.reid_threshold = reid_threshold
        self.reid_window_hours = reid_window_hours
        self.baseline_config = baseline_config
        self.vector_search = vector_search
        self.behaviour_config = behaviour_config
        self._reid: ReidStore | None = None
        self._reid_lock = asyncio.Lock()
        # One thread owns the embedding model: models are not guaranteed thread-safe.
        self._embed_thread = ThreadPoolExecutor(1, thread_name_prefix="embedder") if embedder else None
        self.plate_reader = plate_reader if plate_cameras else None
        self.plate_cameras = plate_cameras
        self.plate_config = plate_config
        self.plate_max_tracks = plate_max_tracks
        self._plate_thread = ThreadPoolExecutor(1, thread_name_prefix="plates") if self.plate_reader else None
        self.face_reader = face_reader if face_cameras else None
        self.face_cameras = face_cameras
        self.face_config = face_config
        self.face_max_tracks = face_max_tracks
        self._face_thread = ThreadPoolExecutor(1, thread_name_prefix="faces") if self.face_reader else None
        if embedder is not None and media_dir is None:
            log.warning("reid disabled reason=no media_dir to read crops from")

    async def prepare(self) -> ReidStore | None:
        """Open the re-ID store (setting up pgvector where the server has it); None without re-ID."""
        if self.embedder is None or self.media_dir is None:
            return None
        async with self._reid_lock:
            if self._reid is None:
                self._reid = await ReidStore.open(
                    self.pool,
                    self.embedder.dimensions,
                    vector_search=self.vector_search,
                    threshold=self.reid_threshold,
                    window_hours=self.reid_window_hours,
                )
        return self._reid

    def close(self) -> None:
        """Release the embedding, plate-reading and face threads."""
        for thread in (self._embed_thread, self._plate_thread, self._face_thread):
            if thread is not None:
                thread.shutdown(wait=False, cancel_futures=True)

    async def camera_name(self, camera: str) -> str:
        """The configured or derived display name of a camera."""
        return await queries.camera_name(self.pool, camera) or display_name(camera)

    async def build(self, window: ClosedWindow) -> tuple[EventContext, dict[str, Any]]:
        """The context plus the ids the event links to (`media_ids`, `detection_ids`)."""
        stored = await media_store.detections_for_media(self.pool, window.media_ids)
        records = await media_store.get_media_many(self.pool, window.media_ids)
        started = datetime.fromtimestamp(window.started, UTC)
        ended = datetime.fromtimestamp(window.last, UTC)
        frames = {(sd.media_id, sd.frame_index) for sd in stored}
        context = base_context(
            camera=window.camera,
            camera_name=await self.camera_name(window.camera),
            started=started,
            ended=ended,
            tz=self.tz,
            detections=[sd.detection for sd in stored],
            objects=window.objects,
            frames=max(1, len(frames)),
            fast_path=window.fast,
        )
        zones = await understanding.zones_for_camera(self.pool, window.camera)
        lines = await tripwire_store.tripwires_for_camera(self.pool, window.camera)
        observations, origin = _frame_observations(stored, records, window.started)
        tracks = track(observations)
        summaries, hits = summarize(
            tracks, zones, lines, retreat_min_change=self.behaviour_config.retreat_min_change
        )
        reid, track_entities = await self._reid_sightings(window, tracks, origin, records)
        entity_ids = set(track_entities.values())
        plates, unknown_plates = await self._plates(window, tracks, origin, records)
        faces = await self._faces(window, tracks, origin, records)
        known, known_cues = await self._known(
            summaries,
            track_entities,
            {p.track_id for p in plates if p.known},
            {f.track_id for f in faces if f.known},
        )
        counts = {label: n for label, n in window.objects.items() if n > 0} or _counts(stored)
        baseline = await self._baseline(window, started, counts)
        today = started.astimezone(self.tz).date()
        lookback = started - timedelta(days=self.behaviour_config.repeat_lookback_days)
        history = await tripwire_store.entity_visits(self.pool, sorted(entity_ids), lookback, self.tz)
        behaviours = detect_behaviours(
            camera=window.camera,
            night=context.is_night,
            tracks=summaries,
            zones=hits,
            sightings=reid,
            today=today,
            entity_ids=entity_ids,
            history=history,
            config=self.behaviour_config,
        )
        if unknown_plates and not any(
            b.kind == "repeated_visits" and category_of(b.subject) == "vehicle" for b in behaviours
        ):  # the plate tells what re-ID did not (no embedder, or a car seen days apart)
            plate_history = await plate_store.visits(
                self.pool, sorted(unknown_plates), lookback, self.tz, exclude_event=window.id
            )
            found = plate_repeated_visits(
                window.camera, today, unknown_plates, plate_history, self.behaviour_config
            )
            behaviours = tuple(sorted((*behaviours, *found), key=lambda b: -b.strength))
        context = replace(
            context,
            zones=tuple(hits),
            tracks=tuple(summaries),
            reid=tuple(reid),
            baseline=tuple(baseline),
            behaviours=behaviours,
            known=known,
            plates=plates,
            faces=faces,
            attributes=tuple(dict.fromkeys((*context.attributes, *known_cues))),
        )
        log.info(
            "enrich event=%s camera=%s zones=%d tracks=%d reid=%d behaviours=%s baseline=%s",
            window.id,
            window.camera,
            len(hits),
            len(summaries),
            len(reid),
            ",".join(b.kind for b in behaviours) or "-",
            ",".join(f"{b.label}:{b.status}:{b.anomaly:g}" for b in baseline) or "-",
        )
        links = {
            "media_ids": sorted(records),
            "detection_ids": [sd.id for sd in stored],
        }
        return context, links

    # --- re-ID ---------------------------------------------------------------------------------

    async def _reid_sightings(
        self,
        window: ClosedWindow,
        tracks: Sequence[Track],
        origin: dict[tuple[float, Detection], StoredDetection],
        records: dict[int, MediaRecord],
    ) -> tuple[list[ReidSighting], dict[int, str]]:
        """Sightings of this event's entities on other cameras, and the entity of each track embedded."""
        store = await self.prepare()
        if store is None or self.embedder is None or self.media_dir is None:
            return [], {}
        jobs: list[_CropJob] = []
        for tr in tracks:
            if category_of(tr.label) not in REID_CATEGORIES:
                continue
            best = max(tr.points, key=lambda p: p.confidence)  # the first wins a tie
            sd = origin.get((best.t, Detection(best.label, best.confidence, best.box)))
            if sd is None or sd.media_id not in records:
                continue
            media = records[sd.media_id]
            jobs.append(_CropJob(tr.label, tr.track_id, sd, media, self.media_dir / media.path))
        if not jobs:
            return [], {}
        loop = asyncio.get_running_loop()
        try:
            vectors = await loop.run_in_executor(self._embed_thread, _embed_jobs, self.embedder, jobs)
        except Exception as exc:  # a model or file problem must not lose the event
            log.warning("reid skipped event=%s reason=%s", window.id, exc)
            return [], {}
        best_by_key: dict[tuple[str, str], ReidSighting] = {}
        track_entities: dict[int, str] = {}
        for job, vector in zip(jobs, vectors, strict=True):
            if vector is None:
                continue
            seen_at = job.media.captured_at + timedelta(seconds=job.stored.frame_offset_s)
            result = await store.match_or_create(
                vector,
                label=job.track_label,
                camera=window.camera,
                seen_at=seen_at,
                event_id=window.id,
                detection_id=job.stored.id,
            )
            track_entities[job.track_id] = result.entity_id
            for s in result.sightings:
                key = (s.entity_id, s.camera)
                if key not in best_by_key or s.similarity > best_by_key[key].similarity:
                    best_by_key[key] = s
        ordered = sorted(best_by_key.values(), key=lambda s: (-s.similarity, s.minutes_ago, s.camera))
        return ordered, track_entities

    # --- licence plates -----------------------------------------------------------------------

    async def _plates(
        self,
        window: ClosedWindow,
        tracks: Sequence[Track],
        origin: dict[tuple[float, Detection], StoredDetection],
        records: dict[int, MediaRecord],
    ) -> tuple[tuple[PlateSighting, ...], dict[str, str]]:
        """Read the plates of this event's vehicle tracks (cameras that opted in only), store the
        reads and match them against the gallery: the context's plate entries, and the unknown
        plates read (plate -> vehicle class) for repeated visits. Plate text is never logged."""
        if self.plate_reader is None or self.media_dir is None or window.camera not in self.plate_cameras:
            return (), {}
        jobs = _largest_crops(
            tracks, "vehicle", self.plate_max_tracks, PLATE_FRAMES_PER_TRACK, origin, records, self.media_dir
        )
        if not jobs:
            return (), {}
        loop = asyncio.get_running_loop()
        try:
            reads = await loop.run_in_executor(
                self._plate_thread, _read_plates, self.plate_reader, jobs, self.plate_config
            )
        except Exception as exc:  # a model or file problem must not lose the event
            log.warning("plates skipped event=%s reason=%s", window.id, type(exc).__name__)
            return (), {}
        gallery = await plate_store.known_plates(self.pool)
        sightings: list[PlateSighting] = []
        unknown: dict[str, str] = {}
        rows: list[tuple[int, str, str, float, datetime]] = []
        for track_id, (job, read) in sorted(reads.items()):
            match = match_known(read.text, gallery, self.plate_config)
            sightings.append(
                PlateSighting(
                    track_id=track_id,
                    label=job.track_label,
                    known=match is not None,
                    name=gallery[match] if match is not None else None,
                )
            )
            if match is None:
                unknown[read.text] = job.track_label
            seen_at = job.media.captured_at + timedelta(seconds=job.stored.frame_offset_s)
            rows.append((track_id, job.track_label, match or read.text, read.confidence, seen_at))
        await plate_store.save_reads(self.pool, camera=window.camera, event_id=window.id, reads=rows)
        log.info(
            "plates event=%s camera=%s read=%d known=%d",
            window.id,
            window.camera,
            len(sightings),
            sum(1 for s in sightings if s.known),
        )
        return tuple(sightings), unknown

    # --- faces ------------------------------------------------------------------------------------

    async def _faces(
        self,
        window: ClosedWindow,
        tracks: Sequence[Track],
        origin: dict[tuple[float, Detection], StoredDetection],
        records: dict[int, MediaRecord],
    ) -> tuple[FaceSighting, ...]:
        """Find and embed the faces of this event's person tracks (cameras that opted in only), store
        the embeddings and match them against the gallery: the context's face entries. Nothing
        about a face (embedding, box, name) is logged; the context holds no embedding."""
        if self.face_reader is None or self.media_dir is None or window.camera not in self.face_cameras:
            return ()
        jobs = _largest_crops(
            tracks, "person", self.face_max_tracks, FACE_FRAMES_PER_TRACK, origin, records, self.media_dir
        )
        if not jobs:
            return ()
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._face_thread, _read_faces, self.face_reader, jobs)
        except Exception as exc:  # a model or file problem must not lose the event
            log.warning("faces skipped event=%s reason=%s", window.id, type(exc).__name__)
            return ()
        gallery = await face_store.gallery(self.pool)
        sightings: list[FaceSighting] = []
        rows: list[tuple[int, Sequence[float], float, datetime]] = []
        for track_id, (job, face) in sorted(found.items()):
            match = match_face(face.embedding, gallery, self.face_config)
            sightings.append(
                FaceSighting(track_id=track_id, known=match is not None, name=match.name if match else None)
            )
            seen_at = job.media.captured_at + timedelta(seconds=job.stored.frame_offset_s)
            rows.append((track_id, face.embedding, min(1.0, max(0.0, face.score)), seen_at))
        await face_store.save_faces(self.pool, camera=window.camera, event_id=window.id, faces=rows)
        log.info(
            "faces event=%s camera=%s seen=%d known=%d",
            window.id,
            window.camera,
            len(sightings),
            sum(1 for s in sightings if s.known),
        )
        return tuple(sightings)

    async def _known(
        self,
        summaries: Sequence[TrackSummary],
        track_entities: dict[int, str],
        plate_known: set[int],
        face_known: frozenset[int] | set[int] = frozenset(),
    ) -> tuple[tuple[KnownEntity, ...], list[str]]:
        """The tracks matched to known entities, and the cues that follow.

        `known_resident` (`known_vehicle`) is added only when every person (vehicle) track of the
        event was recognised as known (by re-ID, for people by a face in the gallery, `face_known`,
        for vehicles by a plate in the gallery, `plate_known`): a stranger beside a resident is
        still a stranger.
        """
        found = await feedback_store.known_entities(self.pool, sorted(set(track_entities.values())))
        known = tuple(
            KnownEntity(track_id=t, entity_id=e, label=found[e][0], name=found[e][1])
            for t, e in sorted(track_entities.items())
            if e in found
        )
        known_tracks = {k.track_id for k in known} | plate_known | set(face_known)
        cues = []
        for category, cue in (("person", "known_resident"), ("vehicle", "known_vehicle")):
            ids = {s.track_id for s in summaries if category_of(s.label) == category}
            if ids and ids <= known_tracks:
                cues.append(cue)
        return known, cues

    # --- baseline ------------------------------------------------------------------------------

    async def _baseline(
        self, window: ClosedWindow, started: datetime, counts: dict[str, int]
    ) -> list[BaselineInfo]:
        if not counts:
            return []
        slot = await understanding.record_event_counts(
            self.pool, event_id=window.id, camera=window.camera, started_at=started, counts=counts, tz=self.tz
        )
        await understanding.fold_baselines(
            self.pool, window.camera, slot, self.tz, self.baseline_config, labels=sorted(counts)
        )
        how = hour_of_week(slot.astimezone(self.tz))
        cells = await understanding.baseline_cells(self.pool, window.camera, how)
        totals = await understanding.slot_totals(self.pool, window.camera, slot)
        return [
            anomaly(
                cells.get(label) or BaselineCell(camera=window.camera, hour_of_week=how, label=label),
                totals.get(label, counts[label]),
                started,
                self.baseline_config,
            )
            for label in sorted(counts)
        ]


class EnrichStage:
    """Closed windows from the enrich stream -> their contexts (with this stage's writes) -> assess."""

    def __init__(self, *, pool: asyncpg.Pool, contexts: ContextBuilder, streams: Streams) -> None:
        self.pool = pool
        self.contexts = contexts
        self.streams = streams

    async def handle(self, entries: list[StreamEntry]) -> list[str]:
        """Enrich each closed window and hand it to assess; returns the entry ids to acknowledge."""
        done: list[str] = []
        for entry in entries:
            try:
                window = ClosedWindow.from_json(entry.fields["window"])
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("enrich malformed entry id=%s error=%s", entry.id, exc)
                await media_store.add_dead_letter(
                    self.pool, stage="enrich", reason=f"malformed window: {exc}", payload=dict(entry.fields)
                )
                done.append(entry.id)
                continue
            enriched = await self.enrich(window)
            if enriched is not None:
                # A crash between this and the ack redelivers the window: enriching it again
                # changes no table, and assess skips the second copy once the event is final.
                await self.streams.add("assess", {"enriched": enriched.to_json()})
            done.append(entry.id)
        return done

    async def enrich(self, window: ClosedWindow) -> EnrichedWindow | None:
        """The window with its context and links (idempotent); None when its event is already final."""
        if await event_store.is_final(self.pool, window.id):
            log.info("enrich skip event=%s reason=already final", window.id)
            return None
        context, links = await self.contexts.build(window)
        return EnrichedWindow(
            window=window,
            context=context,
            media_ids=links["media_ids"],
            detection_ids=links["detection_ids"],
        )


def _counts(stored: Sequence[StoredDetection]) -> dict[str, int]:
    """Objects of each class present at once (the most in any one frame)."""
    per_frame: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sd in stored:
        per_frame[(sd.media_id, sd.frame_index)][sd.detection.label] += 1
    best: dict[str, int] = defaultdict(int)
    for frame in per_frame.values():
        for label, n in frame.items():
            best[label] = max(best[label], n)
    return dict(best)


def _frame_observations(
    stored: Sequence[StoredDetection], records: dict[int, MediaRecord], window_start: float
) -> tuple[list[FrameObservation], dict[tuple[float, Detection], StoredDetection]]:
    """The window's frames with t = seconds since the window opened, and each detection's row."""
    by_frame: dict[tuple[int, int], list[StoredDetection]] = defaultdict(list)
    for sd in stored:
        if sd.media_id in records:
            by_frame[(sd.media_id, sd.frame_index)].append(sd)
    observations: list[FrameObservation] = []
    origin: dict[tuple[float, Detection], StoredDetection] = {}
    for (media_id, _index), rows in by_frame.items():
        t = round(records[media_id].captured_at.timestamp() - window_start + rows[0].frame_offset_s, 3)
        observations.append(FrameObservation(t=t, detections=tuple(sd.detection for sd in rows)))
        for sd in rows:
            origin.setdefault((t, sd.detection), sd)
    observations.sort(key=lambda f: f.t)
    return observations, origin


def _embed_jobs(embedder: Embedder, jobs: Sequence[_CropJob]) -> list[list[float] | None]:
    """Cut each job's crop out of its media and embed them in one batch (runs in a thread).

    A job whose file is missing or undecodable, or whose crop is too small, gets None.
    """
    frames: dict[tuple[int, int], np.ndarray | None] = {}
    crops: list[np.ndarray] = []
    index: list[int] = []
    for i, job in enumerate(jobs):
        key = (job.media.id, job.stored.frame_index)
        if key not in frames:
            frames[key] = load_frame(job.media, job.stored.frame_offset_s, job.path)
        frame = frames[key]
        if frame is None:
            continue
        piece = crop(frame, job.stored.detection.box)
        if piece.shape[0] < MIN_CROP_PIXELS or piece.shape[1] < MIN_CROP_PIXELS:
            continue
        crops.append(piece)
        index.append(i)
    out: list[list[float] | None] = [None] * len(jobs)
    if crops:
        vectors = embedder.embed(crops)
        for i, vector in zip(index, vectors, strict=True):
            out[i] = [float(v) for v in vector]
    return out


def _largest_crops(
    tracks: Sequence[Track],
    category: str,
    max_tracks: int,
    per_track: int,
    origin: dict[tuple[float, Detection], StoredDetection],
    records: dict[int, MediaRecord],
    media_dir: Path,
) -> list[_CropJob]:
    """Crop jobs for identity readers (plates, faces): the `max_tracks` tracks of `category` with
    the largest boxes, and each track's `per_track` largest boxes (the closest views)."""
    chosen = [tr for tr in tracks if category_of(tr.label) == category]
    chosen.sort(key=lambda tr: -max(_area(p.box) for p in tr.points))
    jobs: list[_CropJob] = []
    for tr in chosen[:max_tracks]:
        for p in sorted(tr.points, key=lambda p: -_area(p.box))[:per_track]:
            sd = origin.get((p.t, Detection(p.label, p.confidence, p.box)))
            if sd is None or sd.media_id not in records:
                continue
            media = records[sd.media_id]
            jobs.append(_CropJob(tr.label, tr.track_id, sd, media, media_dir / media.path))
    return jobs


def _area(box: Box) -> float:
    return float((box.x2 - box.x1) * (box.y2 - box.y1))


_Found = TypeVar("_Found")


def _best_per_track(
    jobs: Sequence[_CropJob],
    read: Callable[[np.ndarray], _Found | None],
    better: Callable[[_Found, _Found], bool],
) -> dict[int, tuple[_CropJob, _Found]]:
    """The best `read` of each track over its jobs' crops, each frame decoded once (runs in the
    reader's thread); `better(new, current)` decides between two reads of one track."""
    frames: dict[tuple[int, int], np.ndarray | None] = {}
    best: dict[int, tuple[_CropJob, _Found]] = {}
    for job in jobs:
        key = (job.media.id, job.stored.frame_index)
        if key not in frames:
            frames[key] = load_frame(job.media, job.stored.frame_offset_s, job.path)
        frame = frames[key]
        if frame is None:
            continue
        found = read(crop(frame, job.stored.detection.box, pad=0.05))
        if found is None:
            continue
        current = best.get(job.track_id)
        if current is None or better(found, current[1]):
            best[job.track_id] = (job, found)
    return best


def _read_plates(
    reader: PlateReader, jobs: Sequence[_CropJob], config: PlateConfig
) -> dict[int, tuple[_CropJob, PlateRead]]:
    """The most confident plate read per track."""
    return _best_per_track(
        jobs,
        lambda image: assemble(reader.read(image), config),
        lambda new, current: new.confidence > current.confidence,
    )


def _read_faces(reader: FaceReader, jobs: Sequence[_CropJob]) -> dict[int, tuple[_CropJob, FaceObservation]]:
    """The best face per person track."""
    return _best_per_track(
        jobs,
        lambda image: best_face(reader.read(image)),
        lambda new, current: best_face([current, new]) is new,
    )
