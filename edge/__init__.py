"""imgedge: on-the-fly image resizing at the CloudFront edge."""

__version__ = "0.2.0"
"""The release (semver); the single source of the version: ``pyproject.toml`` reads it for the package metadata."""
