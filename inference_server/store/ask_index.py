"""The semantic event index behind `POST /api/ask`: one sentence embedding per event.

Every event is embedded as the document `domain.ask.event_document` writes (summary, reasoning,
objects, zones, camera, local time words, cues, known/unknown, notes). `AskIndex.sync` embeds the
events that have no embedding yet, whose row changed since (a window refined it, a resident
reviewed it: `events.updated_at` moved on) or that were embedded by another model; it back-fills
an existing history the same way, newest first. Identical documents (routine events) share one
embedding: it is copied, not computed again.

Search. Embeddings are stored as portable float32 bytes. Where the server has pgvector,
`setup_vector_search` adds `event_embeddings.embedding_vec vector(384)` with an HNSW cosine
index and `nearest` orders by `<=>` under the question's filters (pgvector >= 0.8 scans the index
iteratively until enough rows pass them). Elsewhere (PostgreSQL without the extension) `nearest`
takes the events that pass the filters, newest first and at most `EXACT_LIMIT`, and ranks them
exactly in NumPy, their embeddings cached in the process by document hash. On the same data both give the same ranking
(tests/server/ask/test_ask_index.py); HNSW is approximate in principle, exact on small sets.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

import asyncpg
import numpy as np

from inference_server.domain.ask import event_document

log = logging.getLogger(__name__)

EXACT_LIMIT: Final = 20_000  # events ranked exactly per question where pgvector is missing
CACHE_SIZE: Final = 50_000  # embeddings kept in memory for the exact path (~77 MB)
_VECTOR_LOCK: Final = 0x48_53_49_41  # advisory lock: one process alters `event_embeddings` at a time


class TextEmbedder(Protocol):
    """Sentence embeddings (ml/text_embedder.py). Synchronous: run in an executor."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, shape (len(texts), dimensions)."""
        ...


def to_bytes(vector: np.ndarray) -> bytes:
    """The stored form: float32 little-endian."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    """The vector of a stored embedding."""
    return np.frombuffer(raw, dtype="<f4")


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form, '[0.1,0.2,...]' (full float32 precision)."""
    return "[" + ",".join(repr(float(v)) for v in np.asarray(vector, dtype=np.float32)) + "]"


async def setup_vector_search(pool: asyncpg.Pool, dimensions: int) -> bool:
    """Make pgvector search of event embeddings available; False where the server cannot.

    Adds `embedding_vec vector(dimensions)` and its HNSW index (rebuilt when the width changed)
    and fills it from the stored bytes. Safe to call from several processes.
    """
    if dimensions < 1:
        raise ValueError(f"dimensions must be positive, got {dimensions}")
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'") is None:
            log.info("ask search=exact reason=pgvector not installed on the server")
            return False
        await conn.execute("SELECT pg_advisory_lock($1)", _VECTOR_LOCK)
        try:
            try:
                await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except asyncpg.PostgresError as exc:
                log.warning("ask search=exact reason=cannot create extension vector: %s", exc)
                return False
            current = await conn.fetchval(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                " 'event_embeddings'::regclass AND attname = 'embedding_vec' AND NOT attisdropped"
            )
            async with conn.transaction():
                if current is not None and current != f"vector({dimensions})":
                    log.warning("ask rebuilding embedding_vec from=%s to=vector(%d)", current, dimensions)
                    await conn.execute("ALTER TABLE event_embeddings DROP COLUMN embedding_vec")
                    current = None
                if current is None:
                    # The width is an integer we checked, not user text: safe to place in DDL.
                    await conn.execute(
                        f"ALTER TABLE event_embeddings ADD COLUMN embedding_vec vector({int(dimensions)})"
                    )
                await conn.execute(
                    "CREATE INDEX IF NOT EXISTS event_embeddings_hnsw_idx"
                    " ON event_embeddings USING hnsw (embedding_vec vector_cosine_ops)"
                )
            while True:  # fill rows stored before the column existed, in batches
                rows = await conn.fetch(
                    "SELECT event_id, embedding FROM event_embeddings"
                    " WHERE embedding_vec IS NULL AND length(embedding) = $1 LIMIT 1000",
                    4 * dimensions,
                )
                if not rows:
                    break
                await conn.executemany(
                    "UPDATE event_embeddings SET embedding_vec = $2::vector WHERE event_id = $1",
                    [(r["event_id"], vector_literal(from_bytes(r["embedding"]))) for r in rows],
                )
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _VECTOR_LOCK)
    log.info("ask search=pgvector dims=%d", dimensions)
    return True


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """How far the index is: events embedded by the current model, and events in all."""

    model: str
    search: str  # "pgvector" | "exact"
    embedded: int
    events: int

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {"model": self.model, "search": self.search, "embedded": self.embedded, "events": self.events}


_STALE_SQL: Final = """
SELECT e.id, e.updated_at, e.started_at, e.summary, e.reasoning, e.objects, e.zones, e.risk_level,
       e.notes, coalesce(e.context->'attributes', '[]'::jsonb) AS attributes,
       coalesce(c.name, c.id) AS camera_name
FROM events e JOIN cameras c ON c.id = e.camera_id
LEFT JOIN event_embeddings v ON v.event_id = e.id
WHERE v.event_id IS NULL OR v.model <> $1 OR v.source_updated_at < e.updated_at
ORDER BY e.started_at DESC
LIMIT $2
"""


class AskIndex:
    """Embeds events and finds the nearest ones to a question. Use `await AskIndex.open(...)`."""

    def __init__(
        self, pool: asyncpg.Pool, embedder: TextEmbedder, *, tz: ZoneInfo, vector_search: bool
    ) -> None:
        self.pool = pool
        self.embedder = embedder
        self.tz = tz
        self.vector_search = vector_search
        self.model = embedder.name
        self.dimensions = embedder.dimensions
        self.iterative_scan = False
        self._sync_lock = asyncio.Lock()
        self._cache: dict[str, np.ndarray] = {}  # doc hash -> embedding (exact path)

    @classmethod
    async def open(
        cls,
        pool: asyncpg.Pool,
        embedder: TextEmbedder,
        *,
        tz: ZoneInfo,
        vector_search: bool | None = None,
    ) -> AskIndex:
        """An index using pgvector when `vector_search` is None (auto) or True and the server has it.

        Raises RuntimeError when `vector_search` is True and pgvector cannot be set up.
        """
        use_vector = False
        if vector_search is not False:
            use_vector = await setup_vector_search(pool, embedder.dimensions)
            if vector_search and not use_vector:
                raise RuntimeError("pgvector search was asked for but the server cannot provide it")
        index = cls(pool, embedder, tz=tz, vector_search=use_vector)
        if use_vector:
            version = str(await pool.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
            parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
            index.iterative_scan = parts >= (0, 8)
        return index

    async def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed in a worker thread (the forward pass holds no event-loop time)."""
        return await asyncio.to_thread(self.embedder.embed, list(texts))

    def document(self, row: asyncpg.Record) -> str:
        """The document of one row of `_STALE_SQL`'s shape."""
        attributes = row["attributes"]
        if isinstance(attributes, dict):
            attributes = list(attributes)
        return event_document(
            camera_name=row["camera_name"],
            started_at=row["started_at"].astimezone(self.tz),
            summary=row["summary"],
            reasoning=row["reasoning"],
            objects=dict(row["objects"]),
            zones=list(row["zones"]),
            attributes=[str(a) for a in attributes or []],
            risk_level=row["risk_level"],
            notes=row["notes"],
        )

    async def sync(self, *, batch: int = 64, max_batches: int | None = None) -> int:
        """Embed every event that needs it (new, changed, other model), newest first; the number done."""
        done = 0
        async with self._sync_lock:
            batches = 0
            while max_batches is None or batches < max_batches:
                rows = await self.pool.fetch(_STALE_SQL, self.model, batch)
                if not rows:
                    break
                batches += 1
                docs = [self.document(r) for r in rows]
                hashes = [hashlib.sha256(d.encode()).hexdigest()[:32] for d in docs]
                known = {
                    r["doc_hash"]: bytes(r["embedding"])
                    for r in await self.pool.fetch(
                        "SELECT DISTINCT ON (doc_hash) doc_hash, embedding FROM event_embeddings"
                        " WHERE model = $1 AND doc_hash = ANY($2::text[])",
                        self.model,
                        list(set(hashes)),
                    )
                }
                missing = list(dict.fromkeys(h for h in hashes if h not in known))
                if missing:
                    first = {h: docs[hashes.index(h)] for h in missing}
                    vectors = await self.embed_texts([first[h] for h in missing])
                    known.update((h, to_bytes(v)) for h, v in zip(missing, vectors, strict=True))
                await self._store(rows, hashes, known)
                done += len(rows)
        if done:
            log.info("ask_index embedded=%d model=%s", done, self.model)
        return done

    async def _store(
        self, rows: Sequence[asyncpg.Record], hashes: list[str], known: dict[str, bytes]
    ) -> None:
        values = [
            (r["id"], self.model, h, r["updated_at"], known[h]) for r, h in zip(rows, hashes, strict=True)
        ]
        upsert = (
            "INSERT INTO event_embeddings (event_id, model, doc_hash, source_updated_at, embedding{vec_col})"
            " VALUES ($1, $2, $3, $4, $5{vec_val}) ON CONFLICT (event_id) DO UPDATE SET model = EXCLUDED.model,"
            " doc_hash = EXCLUDED.doc_hash, source_updated_at = EXCLUDED.source_updated_at,"
            " embedding = EXCLUDED.embedding{vec_set}, indexed_at = now()"
        )
        async with self.pool.acquire() as conn, conn.transaction():
            if self.vector_search:
                sql = upsert.format(
                    vec_col=", embedding_vec",
                    vec_val=", $6::vector",
                    vec_set=", embedding_vec = EXCLUDED.embedding_vec",
                )
                literals = {h: vector_literal(from_bytes(b)) for h, b in known.items()}
                await conn.executemany(sql, [(*v, literals[v[2]]) for v in values])
            else:
                await conn.executemany(upsert.format(vec_col="", vec_val="", vec_set=""), values)

    async def status(self) -> IndexStatus:
        """Events embedded by the current model (up to date) and events in all."""
        row = await self.pool.fetchrow(
            "SELECT (SELECT count(*) FROM events) AS events,"
            " (SELECT count(*) FROM event_embeddings v JOIN events e ON e.id = v.event_id"
            "  WHERE v.model = $1 AND v.source_updated_at >= e.updated_at) AS embedded",
            self.model,
        )
        assert row is not None
        return IndexStatus(
            self.model,
            "pgvector" if self.vector_search else "exact",
            int(row["embedded"]),
            int(row["events"]),
        )

    async def nearest(
        self, query: np.ndarray, where: Sequence[str], params: Sequence[Any], *, limit: int = 100
    ) -> list[tuple[str, float]]:
        """(event id, cosine similarity), most similar first, among events passing `where`.

        `where` are SQL conditions on `e` (events) using `params` as $1..$n.
        """
        q = np.asarray(query, dtype=np.float32)
        args: list[Any] = [*params, self.model]
        model_param = f"${len(args)}"
        conditions = " AND ".join([*where, f"v.model = {model_param}"])
        if self.vector_search:
            args.append(vector_literal(q))
            qp = f"${len(args)}::vector"
            sql = (
                f"SELECT e.id, 1 - (v.embedding_vec <=> {qp}) AS similarity"
                " FROM events e JOIN event_embeddings v ON v.event_id = e.id"
                f" WHERE {conditions} AND v.embedding_vec IS NOT NULL"
                f" ORDER BY v.embedding_vec <=> {qp}, e.id LIMIT {int(limit)}"
            )
            async with self.pool.acquire() as conn, conn.transaction():
                if self.iterative_scan:
                    await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                await conn.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(1000, 2 * int(limit)))}")
                rows = await conn.fetch(sql, *args)
            ranked = [(str(r["id"]), float(r["similarity"])) for r in rows]
            # relaxed_order may return rows slightly out of order: sort them exactly.
            return sorted(ranked, key=lambda kv: (-round(kv[1], 6), kv[0]))
        rows = await self.pool.fetch(
            "SELECT e.id, v.doc_hash FROM events e JOIN event_embeddings v ON v.event_id = e.id"
            f" WHERE {conditions} ORDER BY e.started_at DESC LIMIT {EXACT_LIMIT}",
            *args,
        )
        if not rows:
            return []
        matrix = await self._vectors([r["doc_hash"] for r in rows])
        similarities = matrix @ q
        if len(rows) > limit:  # only the best `limit` are sorted (ties at the cut are rare)
            best = np.argpartition(-similarities, limit - 1)[:limit]
        else:
            best = np.arange(len(rows))
        ranked = [(str(rows[i]["id"]), float(similarities[i])) for i in best]
        return sorted(ranked, key=lambda kv: (-round(kv[1], 6), kv[0]))

    async def _vectors(self, hashes: list[str]) -> np.ndarray:
        """The embeddings of these documents, from the in-process cache or PostgreSQL (exact path).

        Cached by document hash (a changed event has a new hash), at most CACHE_SIZE, oldest out:
        fetching 20,000 embeddings per question would cost more than the search itself.
        """
        missing = list({h for h in hashes if h not in self._cache})
        for start in range(0, len(missing), 5000):
            for r in await self.pool.fetch(
                "SELECT DISTINCT ON (doc_hash) doc_hash, embedding FROM event_embeddings"
                " WHERE model = $1 AND doc_hash = ANY($2::text[])",
                self.model,
                missing[start : start + 5000],
            ):
                self._cache[r["doc_hash"]] = from_bytes(bytes(r["embedding"]))
        while len(self._cache) > CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        return np.stack([self._cache[h] for h in hashes])
