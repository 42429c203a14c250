"""Nested typed settings: one section per concern, secrets as `SecretStr`, flat user names.

settings = load_settings("hsi.yaml")      # defaults < YAML < HSI_* environment
settings.database.url, settings.detection.batch_size, settings.email.password
"""

from inference_server.settings.loader import ConfigError, load_settings
from inference_server.settings.model import FLAT_NAMES, Settings
from inference_server.settings.sections import CameraConfig, UrgentRule

__all__ = ["FLAT_NAMES", "CameraConfig", "ConfigError", "Settings", "UrgentRule", "load_settings"]
