"""The ``imgedge`` command: run the edge locally, debug URLs, and manage the bucket's originals and variants.

The verbs live by what they act on: ``imgedge.cli.urls`` (url, sign, srcset, render: URLs, signing and what a URL
renders), ``imgedge.cli.bucket`` (upload, ls, rm, purge, warm: the bucket's originals and variants) and
``imgedge.cli.serving`` (serve, check: the emulator and a live deployment); ``imgedge.cli.options`` holds what
they share.

Exit codes: 0 success, 1 failure (S3 or CloudFront error, missing credentials or bucket, file not an image, key
exists, image cannot be rendered), 2 usage error (bad option or parameter, which includes an image parameter the
viewer-request function would answer 400). ``-h`` is the height option, so help is ``--help`` only.
"""

from __future__ import annotations

import click

from edge import __version__
from imgedge.cli import bucket, serving, urls
from imgedge.cli.options import CONTEXT_SETTINGS


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="imgedge")
def cli() -> None:
    """imgedge: on-the-fly image resizing at the CloudFront edge.

    Run the whole request path locally (serve), see what a URL maps to (url, srcset, render), and manage the
    originals and variants of a bucket with your own AWS credentials (upload, ls, rm, purge, warm).
    """


for command in (
    serving.serve, urls.render_command, urls.url, urls.sign, urls.srcset,
    bucket.upload, bucket.ls_command, bucket.rm, bucket.purge, bucket.warm, serving.check,
):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="imgedge")


if __name__ == "__main__":
    main()
