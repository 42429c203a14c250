"""Adapters around model libraries. Only this package imports ultralytics, llama_cpp, open_clip."""
