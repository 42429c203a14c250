"""Pipeline stages: ingest, detect, window, assess, publish."""
