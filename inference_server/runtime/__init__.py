"""The one composition root of a server process.

- `services.py`: `Services`, the connections every stage of a process shares;
- `models.py`: which model each stage uses on this machine (the plan) and building them;
- `stages.py`: one factory per stage (ingest, detect, window, assess, publish, ftp, api);
- `app.py`: `App`, built from the stages a process runs, with ordered `start()` / `stop()`,
  and `serve()` behind `hsi serve` and `hsi worker --stage ...`;
- `supervisor.py`: a stage task that crashes is restarted with backoff.
"""
