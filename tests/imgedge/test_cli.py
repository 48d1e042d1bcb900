"""The ``imgedge`` CLI against moto S3 and CloudFront (click's CliRunner)."""

import base64
import html
import io
import json
import re
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlsplit

import pillow_heif
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from edge.config import Config
from edge.rewrite import rewrite
from edge.sizes import apply_size_policy
from imgedge.cli import cli
from imgedge.samples import sample_originals
from tests.conftest import TEST_BUCKET, Handlers, S3Client, create_distribution, invalidated_paths, origin_event
from tests.imgedge.conftest import png_declaring

BUCKET = ["--bucket", TEST_BUCKET]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def samples(tmp_path: Path) -> dict[str, Path]:
    """The sample originals as local files, by file name."""
    files = {}
    for sample in sample_originals():
        path = tmp_path / sample.key.rsplit("/", 1)[1]
        path.write_bytes(sample.body)
        files[path.name] = path
    return files


def keys(s3: S3Client) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=TEST_BUCKET).get("Contents", []))


# --- render, url, srcset: no AWS --------------------------------------------------------------------------


def test_render_is_what_origin_response_produces(
    s3: S3Client, samples: dict[str, Path], tmp_path: Path, handlers: Handlers
) -> None:
    out = tmp_path / "out.jpg"
    result = run("render", str(samples["landscape.jpg"]), "-w", "300", "-h", "300", "--format", "jpeg", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "jpeg 300x300" in result.stderr
    assert "variant key /300x300/landscape.jpg" in result.stderr

    s3.put_object(Bucket=TEST_BUCKET, Key="photos/landscape.jpg", Body=samples["landscape.jpg"].read_bytes())
    origin_handler = handlers.origin()  # the defaults, as imgedge render above has them (no --config)
    response = origin_handler(origin_event(403, "/300x300/photos/landscape.jpg", "/photos/landscape.jpg"), None)
    assert base64.b64decode(response["body"]) == out.read_bytes()


def test_render_options(samples: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "logo.avif"
    result = run("render", str(samples["imgedge-logo.png"]), "-w", "200", "--accept", "browser", "-o", str(out))
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert (image.format, image.size) == ("AVIF", (200, 100))
    result = run("render", str(samples["imgedge-logo.png"]), "-h", "64", "-o", "-")
    image = Image.open(io.BytesIO(result.stdout_bytes))
    assert (image.format, image.size, image.mode) == ("PNG", (128, 64), "RGBA")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-w", "abc"], "not a valid integer"),
        (["-w", "0"], "viewer-request would answer 400: w must be a positive integer"),
        (["-w", "100000"], "w must be at most"),
        (["-q", "60"], "w or h is required"),
        ([], "give at least -w or -h"),
        (["-w", "10", "--fit", "x"], "Invalid value for '--fit'"),
    ],
)
def test_render_usage_errors(samples: dict[str, Path], tmp_path: Path, args: list[str], message: str) -> None:
    result = run("render", str(samples["landscape.jpg"]), *args, "-o", str(tmp_path / "x.jpg"))
    assert result.exit_code == 2
    assert message in result.output
    missing_output = run("render", str(samples["landscape.jpg"]), "-w", "10")
    assert missing_output.exit_code == 2
    assert "Missing option '-o'" in missing_output.output


def test_render_not_an_image_fails(tmp_path: Path) -> None:
    source = tmp_path / "notes.jpg"
    source.write_text("hello")
    result = run("render", str(source), "-w", "100", "-o", str(tmp_path / "x.jpg"))
    assert result.exit_code == 1
    assert "original is not a supported image (origin-response would answer 415)" in result.output
    assert not (tmp_path / "x.jpg").exists()


def test_url() -> None:
    result = run("url", "photos/cat.png", "-w", "300", "--accept", "browser")
    assert result.exit_code == 0
    assert "variant key  /300/photos/cat.avif" in result.output
    assert "S3 key       300/photos/cat.avif" in result.output
    assert "viewer URL   /photos/cat.png?w=300&format=avif" in result.output

    result = run("url", "https://d1.example/photos/cat.png?q=60&fit=contain&h=300&utm=1", "-w", "300", "--json")
    data = json.loads(result.output)
    assert data["variant_key"] == "/300x300-contain/photos/cat.png"  # Accept */*: the PNG family, lossless
    assert data["viewer_url"] == "/photos/cat.png?w=300&h=300&fit=contain&format=png"
    data = json.loads(run("url", "/photos/cat.jpg?q=60&fit=contain&h=300", "-w", "300", "--json").output)
    assert data["variant_key"] == "/300x300-contain-q60/photos/cat.jpg"


def test_url_without_parameters_and_with_bad_ones() -> None:
    assert "served as it is" in run("url", "photos/cat.png").output
    result = run("url", "photos/cat.png", "-w", "300", "-q", "101")
    assert result.exit_code == 2
    assert "q must be from 1 to 100" in result.output
    assert run("url", "photos/../cat.png", "-w", "300").exit_code == 2


def test_srcset() -> None:
    result = run("srcset", "photos/my cat.png", "--widths", "320,700,640", "--base-url", "https://img.example/")
    assert result.exit_code == 0, result.output
    assert "w=700 snaps to 750" in result.stderr
    assert result.stdout.strip() == (
        '<img src="https://img.example/photos/my%20cat.png?w=640" srcset="https://img.example/photos/my%20cat.png'
        "?w=320 320w, https://img.example/photos/my%20cat.png?w=640 640w, https://img.example/photos/my%20cat.png"
        '?w=750 750w" sizes="100vw" alt="" loading="lazy" decoding="async">'
    )
    result = run("srcset", "cat.png", "--widths", "320", "--format", "webp", "-q", "60")
    assert "cat.png?w=320&amp;q=60&amp;format=webp 320w" in result.stdout
    assert run("srcset", "cat.png", "--widths", "a,b").exit_code == 2


def test_h_is_height_and_help_is_long_only() -> None:
    assert run("render", "--help").exit_code == 0
    assert "-h, --height" in run("render", "--help").output
    assert run("--help").exit_code == 0
    assert run("-h").exit_code == 2


# --- bucket management -------------------------------------------------------------------------------------


def test_upload_sets_content_types_and_refuses_overwrite(s3: S3Client, samples: dict[str, Path]) -> None:
    files = [str(samples["landscape.jpg"]), str(samples["imgedge-logo.png"])]
    result = run("upload", *files, "--prefix", "/photos/", *BUCKET)
    assert result.exit_code == 0, result.output
    assert keys(s3) == ["photos/imgedge-logo.png", "photos/landscape.jpg"]
    head = s3.head_object(Bucket=TEST_BUCKET, Key="photos/imgedge-logo.png")
    assert head["ContentType"] == "image/png"
    assert s3.head_object(Bucket=TEST_BUCKET, Key="photos/landscape.jpg")["ContentType"] == "image/jpeg"

    again = run("upload", files[0], "--prefix", "photos", *BUCKET)
    assert again.exit_code == 1
    assert "already exist (use --force to overwrite): s3://imgedge-test-bucket/photos/landscape.jpg" in again.output
    forced = run("upload", files[0], "--prefix", "photos", "--force", *BUCKET)
    assert forced.exit_code == 0
    assert "imgedge purge" in forced.stderr


def test_upload_accepts_a_heic_with_its_type(s3: S3Client, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), (200, 30, 30))).save(buffer, quality=80)
    phone = tmp_path / "IMG_0001.HEIC"
    phone.write_bytes(buffer.getvalue())
    result = run("upload", str(phone), "--prefix", "photos", *BUCKET)
    assert result.exit_code == 0, result.output
    assert s3.head_object(Bucket=TEST_BUCKET, Key="photos/IMG_0001.HEIC")["ContentType"] == "image/heif"


def test_upload_refuses_non_images_and_variant_folders(s3: S3Client, samples: dict[str, Path], tmp_path: Path) -> None:
    text = tmp_path / "readme.jpg"
    text.write_text("not an image")
    result = run("upload", str(samples["landscape.jpg"]), str(text), *BUCKET)
    assert result.exit_code == 1
    assert "readme.jpg: not an image" in result.output
    assert keys(s3) == []  # nothing is uploaded when one file is refused
    result = run("upload", str(samples["landscape.jpg"]), "--prefix", "300", *BUCKET)
    assert result.exit_code == 1
    assert "where variants are stored" in result.output
    odd = tmp_path / "notes.txt"
    odd.write_bytes(samples["landscape.jpg"].read_bytes())
    assert "must end in an image extension" in run("upload", str(odd), *BUCKET).output


def seed_variants(s3: S3Client) -> None:
    for key in [
        "photos/cat.jpg",
        "photos/cat.v2.jpg",
        "photos/cat-2.png",
        "photos/dog.jpg",
        "top.png",
        "notes/readme.txt",
    ]:
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    # Variants carry the metadata origin-response writes (edge.store.S3Store.put_variant): their original's key.
    for key, source in [
        ("300/photos/cat.avif", "photos/cat.jpg"),
        ("640/photos/cat.webp", "photos/cat.jpg"),
        ("300x200-contain-q60/photos/cat.jpg", "photos/cat.jpg"),
        ("300/photos/cat.v2.avif", "photos/cat.v2.jpg"),
        ("300/photos/cat-2.avif", "photos/cat-2.png"),
        ("x100/top.png", "top.png"),
    ]:
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x", Metadata={"imgedge-source": source})


def test_ls_lists_originals_with_variant_counts(s3: S3Client) -> None:
    seed_variants(s3)
    result = run("ls", *BUCKET)
    assert result.exit_code == 0, result.output
    rows = [line.split("\t")[:3] for line in result.stdout.splitlines()]
    assert rows == [
        ["photos/cat-2.png", "1", "1"],
        ["photos/cat.jpg", "1", "3"],
        ["photos/cat.v2.jpg", "1", "1"],
        ["photos/dog.jpg", "1", "0"],
        ["top.png", "1", "1"],
    ]
    assert [line.split("\t")[0] for line in run("ls", "photos/c", *BUCKET).stdout.splitlines()] == [
        "photos/cat-2.png",
        "photos/cat.jpg",
        "photos/cat.v2.jpg",
    ]
    assert run("ls", "300/", *BUCKET).stdout == ""


def test_purge_deletes_exactly_the_variants_and_invalidates_them(s3: S3Client) -> None:
    seed_variants(s3)
    distribution = create_distribution()
    dry = run("purge", "photos/cat.jpg", "--dry-run", "--distribution-id", distribution, *BUCKET)
    assert dry.exit_code == 0
    assert "would delete s3://imgedge-test-bucket/300/photos/cat.avif" in dry.stdout
    assert len(keys(s3)) == 12

    result = run("purge", "/photos/cat.jpg", "--distribution-id", distribution, *BUCKET)
    assert result.exit_code == 0, result.output
    assert keys(s3) == [
        "300/photos/cat-2.avif",
        "300/photos/cat.v2.avif",
        "notes/readme.txt",
        "photos/cat-2.png",
        "photos/cat.jpg",
        "photos/cat.v2.jpg",
        "photos/dog.jpg",
        "top.png",
        "x100/top.png",
    ]
    assert invalidated_paths(distribution) == [
        ["/300/photos/cat.avif", "/300x200-contain-q60/photos/cat.jpg", "/640/photos/cat.webp"]
    ]
    assert "3 variants of 1 originals deleted" in result.stderr

    nothing = run("purge", "photos/dog.jpg", "--distribution-id", distribution, *BUCKET)
    assert nothing.exit_code == 0
    assert len(invalidated_paths(distribution)) == 1  # no variants: no invalidation
    assert run("purge", "photos/cat", *BUCKET).exit_code == 2  # not an original's key


def test_rm(s3: S3Client) -> None:
    seed_variants(s3)
    result = run("rm", "photos/dog.jpg", "top.png", "--purge", *BUCKET)
    assert result.exit_code == 0, result.output
    assert "deleted s3://imgedge-test-bucket/x100/top.png" in result.stdout
    assert not {"photos/dog.jpg", "top.png", "x100/top.png"} & set(keys(s3))

    missing = run("rm", "photos/nothere.jpg", "photos/cat-2.png", *BUCKET)
    assert missing.exit_code == 1
    assert "photos/nothere.jpg: no such key" in missing.output
    assert "photos/cat-2.png" not in keys(s3)
    assert run("rm", "300/photos/cat.avif", *BUCKET).exit_code == 2  # a variant, not an original


# --- errors -----------------------------------------------------------------------------------------------


def test_no_such_bucket(s3: S3Client) -> None:
    result = run("ls", "--bucket", "no-such-bucket")
    assert result.exit_code == 1
    assert "bucket 'no-such-bucket' does not exist" in result.output


def test_bucket_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGEDGE_BUCKET", raising=False)
    result = run("ls")
    assert result.exit_code == 2
    assert "Missing option '--bucket'" in result.output


def test_bucket_from_environment(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGEDGE_BUCKET", TEST_BUCKET)
    s3.put_object(Bucket=TEST_BUCKET, Key="a.png", Body=b"x")
    assert run("ls").stdout.startswith("a.png\t1\t0\t")


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    result = run("ls", "--bucket", "b", "--endpoint-url", "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "no AWS credentials found" in result.output


def test_url_knows_every_parameter() -> None:
    result = run(
        "url", "photos/cat.jpg", "-w", "150", "-h", "100", "--dpr", "2", "--gravity", "northwest", "--background",
        "000", "--grayscale", "--blur", "3", "--sharpen", "--rotate", "90", "--flip", "--json",
    )  # fmt: skip
    data = json.loads(result.output)
    assert data["variant_key"] == "/300x200-northwest-bg000000-gray-blur5-sharpen-r270-flop/photos/cat.jpg"
    assert (data["gravity"], data["rotate"], data["flop"], data["blur"]) == ("northwest", 270, True, 5)
    # The canonical viewer URL maps back to the same key.
    again = json.loads(run("url", data["viewer_url"], "--json").output)
    assert again["variant_key"] == data["variant_key"]
    focus = json.loads(run("url", "photos/cat.jpg", "-w", "300", "-h", "200", "--focus", "0.31,0.7", "--json").output)
    assert focus["variant_key"] == "/300x200-fp30x70/photos/cat.jpg"
    bad = run("url", "photos/cat.jpg", "-w", "300", "--background", "123456")
    assert bad.exit_code == 2
    assert "background 123456 is not an allowed colour" in bad.output


def test_url_and_srcset_with_a_preset(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"presets": {"card": {"w": 640, "h": 320, "gravity": "attention"}}}))
    data = json.loads(run("url", "photos/cat.jpg", "--preset", "card", "--config", str(config), "--json").output)
    assert data["variant_key"] == "/640x320-attention/photos/cat.jpg"
    markup = run("srcset", "photos/cat.jpg", "--widths", "300,600", "-h", "300", "--gravity", "attention").output
    assert "w=300&amp;h=150&amp;gravity=attention 300w" in markup
    assert "w=600&amp;h=300&amp;gravity=attention 600w" in markup


# --- decompression bombs: one clean refusal everywhere ------------------------------------------------------


# 280 MP: above Pillow's own refusal (2 x MAX_IMAGE_PIXELS); 120 MP: above max_source_pixels but below Pillow's.
BOMBS = [(20_000, 14_000), (12_000, 10_000)]


@pytest.mark.parametrize(("width", "height"), BOMBS)
def test_upload_refuses_a_decompression_bomb_cleanly(
    s3: S3Client, samples: dict[str, Path], tmp_path: Path, width: int, height: int
) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(width, height))
    result = run("upload", str(samples["landscape.jpg"]), str(bomb), *BUCKET)
    assert result.exit_code == 1
    assert "bomb.png: original image exceeds the size limits (origin-response would answer 422)" in result.output
    assert "Traceback" not in result.output
    assert keys(s3) == []


@pytest.mark.parametrize(("width", "height"), BOMBS)
def test_render_refuses_the_same_bomb_with_the_same_reason(tmp_path: Path, width: int, height: int) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(width, height))
    result = run("render", str(bomb), "-w", "100", "-o", str(tmp_path / "x.jpg"))
    assert result.exit_code == 1
    assert "original image exceeds the size limits (origin-response would answer 422)" in result.output


# --- render: the output name's extension ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [("out.avif", "AVIF"), ("out.WEBP", "WEBP"), ("out.png", "PNG")])
def test_render_output_extension_chooses_the_format(
    samples: dict[str, Path], tmp_path: Path, name: str, expected: str
) -> None:
    out = tmp_path / name
    result = run("render", str(samples["landscape.jpg"]), "-w", "300", "-o", str(out))
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.format == expected
    assert f"variant key /300/landscape.{name.rsplit('.', 1)[1].lower()}" in result.stderr


def test_render_without_a_format_name_negotiates_as_before(samples: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.bin"
    assert run("render", str(samples["landscape.jpg"]), "-w", "300", "-o", str(out)).exit_code == 0
    with Image.open(out) as image:
        assert image.format == "JPEG"  # Accept */* and a .jpg original
    stdout = run("render", str(samples["landscape.jpg"]), "-w", "300", "--format", "webp", "-o", "-")
    with Image.open(io.BytesIO(stdout.stdout_bytes)) as image:
        assert image.format == "WEBP"


@pytest.mark.parametrize(
    ("args", "name", "message"),
    [
        (["--format", "jpeg"], "out.avif", "--format gives jpeg, but the output name"),
        (["--accept", "image/webp"], "out.png", "--accept gives webp, but the output name"),
        (["--accept", "*/*"], "out.avif", "--accept gives jpeg, but the output name"),
    ],
)
def test_render_conflicting_format_and_output_name_is_an_error(
    samples: dict[str, Path], tmp_path: Path, args: list[str], name: str, message: str
) -> None:
    out = tmp_path / name
    result = run("render", str(samples["landscape.jpg"]), "-w", "300", *args, "-o", str(out))
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_render_agreeing_format_and_output_name(samples: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    assert run("render", str(samples["landscape.jpg"]), "-w", "300", "--format", "jpg", "-o", str(out)).exit_code == 0
    with Image.open(out) as image:
        assert image.format == "JPEG"


# --- srcset: one aspect ratio, width and height, exact default widths --------------------------------------


def srcset_keys(markup: str, config: Config | None = None) -> list[tuple[int | None, int | None]]:
    """The (width, height) of the variant key each srcset candidate's URL rewrites to, as the edge computes it."""
    match = re.search(r'srcset="([^"]*)"', markup)
    assert match is not None
    sizes = []
    for candidate in html.unescape(match.group(1)).split(", "):
        url = urlsplit(candidate.split(" ")[0])
        target = rewrite(url.path, url.query, "", config or Config())
        assert target is not None
        sizes.append((target.variant.spec.width, target.variant.spec.height))
    return sizes


def test_srcset_default_widths_are_kept_exactly_by_the_default_size_policy() -> None:
    result = run("srcset", "photos/cat.jpg")
    assert result.exit_code == 0, result.output
    assert "snaps" not in result.stderr
    widths = [width for width, _ in srcset_keys(result.stdout)]
    assert len(widths) >= 4
    assert all(apply_size_policy("w", width, Config()) == width for width in widths if width is not None)


def test_srcset_height_that_the_policy_would_snap_for_one_width_is_refused_with_a_reason() -> None:
    # 1280 x 750 (h=720 snaps to 750): 640 needs h=375, which snaps to 384, a different crop.
    result = run("srcset", "photos/cat.jpg", "--widths", "640,1280", "-h", "720")
    assert result.exit_code == 2
    assert "w=640 needs h=375" in result.output
    assert "widths that keep it:" in result.output


@pytest.mark.parametrize(
    ("args", "config"),
    [
        (["--widths", "300,600,1200", "-h", "600"], {}),
        (["--widths", "320,640,1280", "-h", "720"], {"size_policy": "any"}),
        (["--widths", "300,600", "-h", "300", "--fit", "fill"], {}),
    ],
)
def test_srcset_candidates_share_one_aspect_ratio_and_give_width_and_height(
    tmp_path: Path, args: list[str], config: dict[str, str]
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    result = run("srcset", "photos/cat.jpg", *args, "--config", str(config_file))
    assert result.exit_code == 0, result.output
    sizes = srcset_keys(result.stdout, Config.from_mapping(config))
    assert len(sizes) == len(args[1].split(","))
    ratios = {Fraction(width, height) for width, height in sizes if width and height}
    assert len(ratios) == 1
    width = re.search(r' width="(\d+)"', result.stdout)
    height = re.search(r' height="(\d+)"', result.stdout)
    assert width is not None
    assert height is not None
    largest_w, largest_h = int(args[1].split(",")[-1]), int(args[3])
    assert Fraction(int(width.group(1)), int(height.group(1))) == Fraction(largest_w, largest_h)


def test_srcset_with_the_source_uses_real_sizes_and_drops_repeats_of_the_full_size(tmp_path: Path) -> None:
    source = tmp_path / "wide.png"
    Image.new("RGB", (1600, 1000), (10, 20, 30)).save(source)
    result = run("srcset", "photos/wide.png", "--widths", "640,1280,1920,2560", "--source", str(source))
    assert result.exit_code == 0, result.output
    assert "?w=640 640w" in result.stdout
    assert "?w=1280 1280w" in result.stdout
    assert "?w=1920 1600w" in result.stdout  # the key of w=1920 holds the 1600 px original size
    assert "w=2560" not in result.stdout
    assert "w=2560 gives the same 1600x1000 px" in result.stderr
    assert ' width="1280" height="800"' in result.stdout
