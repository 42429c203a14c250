"""Moved to `inference_server.settings` (nested sections); kept so old imports still resolve."""

from inference_server.settings import CameraConfig, ConfigError, Settings, UrgentRule, load_settings

__all__ = ["CameraConfig", "ConfigError", "Settings", "UrgentRule", "load_settings"]
