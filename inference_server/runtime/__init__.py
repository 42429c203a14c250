"""The runtime of one process: supervision of its stage tasks (composition still in `app.py`)."""

from inference_server.runtime.supervisor import StageState, Supervisor

__all__ = ["StageState", "Supervisor"]
