"""imgedge: on-the-fly image resizing at the CloudFront edge."""

__version__ = "0.1.0"
