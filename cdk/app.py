#!/usr/bin/env python3
"""Entry point of the imgedge CDK app (``cdk.json``: ``"app": "python3 cdk/app.py"``).

``python3 cdk/app.py [-c key=value ...]`` synthesizes into ``cdk.out/`` without AWS credentials; the CDK CLI
(``npx aws-cdk@2 synth|deploy``) runs the same file. The repo root (for the ``edge`` package, whose ``Config``
validates the settings) and ``cdk/`` (for ``imgedge_cdk``) are put on ``sys.path`` so no install is needed.
"""

import os
import sys
from pathlib import Path

# jsii prints an 11-line end-of-life banner under Node 20 (which still runs the CDK, and is what many CI images
# have): silenced the way jsii documents, for Node 20 only, unless the caller chose otherwise.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

_REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (_REPO_ROOT / "cdk", _REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from imgedge_cdk.application import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
