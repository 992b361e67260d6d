"""The package version, read by the façade and written into every plan's audit record."""

__version__ = "0.1.0"
