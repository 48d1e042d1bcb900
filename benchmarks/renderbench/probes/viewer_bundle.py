"""The viewer-request bundle's zipped size, in a fresh interpreter (cwd: the repository root).

Prints JSON: the number of files the CDK construct bundles for viewer-request and their deflated zip's bytes.
"""

import io
import json
import sys
import zipfile

sys.path.insert(0, "cdk")
from imgedge_cdk.bundling import viewer_files

buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    for name, path in sorted(viewer_files().items()):
        archive.write(path, name)
print(json.dumps({"files": len(viewer_files()), "zip_bytes": len(buffer.getvalue())}))
