"""Home Security Intelligence inference server."""

__version__ = "0.1.0"
API_VERSION = 1
