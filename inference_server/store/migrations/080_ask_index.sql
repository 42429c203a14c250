-- Ask your history: one sentence embedding per event (all-MiniLM-L6-v2, 384 float32, little-endian
-- bytes), re-made when the event changes (refined, reviewed: events.updated_at moves on) or the
-- model changes. A pgvector copy (embedding_vec) with an HNSW index is added at start-up by
-- store/ask_index.py where the server has the extension, as for re-ID sightings.
CREATE TABLE event_embeddings (
    event_id uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    model text NOT NULL,
    doc_hash text NOT NULL,
    source_updated_at timestamptz NOT NULL,
    embedding bytea NOT NULL CHECK (length(embedding) > 0),
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_embeddings_doc_idx ON event_embeddings (model, doc_hash);
CREATE INDEX events_updated_idx ON events (updated_at);
