"""imgedge's developer tools, apart from what the Lambda functions ship: the ``imgedge`` command
(``imgedge.cli``), the CloudFront emulator behind ``imgedge serve`` (``imgedge.emulator``) with its demo page, the
Lambda@Edge contract checker, and ``url`` for server-rendered templates.

Importing this package (``from imgedge import url``) loads neither click, rich, moto, boto3 nor Pillow: the CLI
and the emulator load only when imported themselves. Nothing under ``edge``, ``viewer_request``,
``origin_response`` or ``purge_on_change`` imports it (``tests/test_import_rules.py``), so no bundle carries it.
"""

from imgedge.viewer_url import url as url

__all__ = ["url"]
