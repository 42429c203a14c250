"""Pipeline stages: ingest, detect, window, enrich, assess (the stream plumbing is `bus/`)."""
