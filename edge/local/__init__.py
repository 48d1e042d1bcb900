"""Local development tools: the CloudFront emulator (``imgedge serve``), the ``imgedge`` CLI and the Lambda@Edge
contract checker.

Nothing under ``viewer_request/``, ``origin_response/`` or the rest of ``edge`` imports this package, and the CDK
bundler leaves it out of both function bundles.
"""
