"""Fixtures of the rendering tests: default limits and generated originals whose answers are known."""

import io

import pytest
from PIL import Image, ImageCms

from edge.config import Config
from edge.render import Limits

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="secret-creator"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


@pytest.fixture
def limits() -> Limits:
    """The limits of the default configuration (32 MiB, 100 MP)."""
    return Limits.from_config(Config())


@pytest.fixture
def metadata_jpeg() -> bytes:
    """A 64x48 JPEG carrying EXIF (camera, GPS position, orientation 1), XMP, an ICC profile and a comment."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (52.0, 22.0, 12.5)  # GPSLatitude
    gps[3] = "E"
    gps[4] = (4.0, 53.0, 30.0)
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif, xmp=XMP, icc_profile=icc, comment=b"secret comment")
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the input really carries it all
        assert check.getexif().get_ifd(0x8825)[1] == "N"
        assert {"xmp", "icc_profile", "comment", "exif"} <= set(check.info)
    return data
