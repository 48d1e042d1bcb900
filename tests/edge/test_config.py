"""edge.config: documented defaults, JSON round trip, validation naming the bad key, loading once per container."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge import config as config_module
from edge.config import (
    CONFIG_ENV_VAR,
    DEFAULT_QUALITIES,
    DEFAULT_SIZES,
    DEFAULT_SOURCE_EXTENSIONS,
    SECTION_OF,
    SECTIONS,
    Config,
    SizePolicy,
    Sizing,
    _parse_origins,
    load_config,
    per_configuration,
    section_fields,
)
from edge.errors import ConfigError
from edge.options import FormatChoice
from edge.query import PARAMETERS
from edge.rewrite import check_rendition, check_warm_renditions, rendition_keys, warm_rendition_count
from tests.conftest import ConfigSetter


@pytest.fixture
def fresh_load(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``load_config`` with an empty cache and no ``IMGEDGE_CONFIG``, restored afterwards."""
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    load_config.cache_clear()
    yield
    load_config.cache_clear()


def test_defaults_are_the_documented_ones() -> None:
    config = Config()
    assert config.sizing.size_policy is SizePolicy.SNAP
    assert config.sizing.sizes == DEFAULT_SIZES
    assert config.sizing.max_dimension == 4096
    assert config.sizing.qualities == DEFAULT_QUALITIES == (30, 40, 50, 60, 70, 80, 90, 100)
    assert dict(config.sizing.default_quality) == {"avif": 50, "webp": 80, "jpeg": 80}
    assert config.sizing.default_format is FormatChoice.AUTO
    assert config.sources.source_extensions == DEFAULT_SOURCE_EXTENSIONS
    assert config.limits.max_source_bytes == 32 * 1024 * 1024
    assert config.limits.max_source_pixels == 100_000_000
    assert config.responses.cache_control == "public, max-age=31536000, immutable"
    assert config.responses.error_max_age == 60
    assert config.responses.missing_max_age == 60
    assert config.responses.max_response_bytes == 1_000_000
    assert config.sources.bucket is None
    assert config.sources.region is None
    assert config.storage.s3_max_attempts == 3
    assert config.storage.tag_variants is False


def test_default_sizes_keep_the_issue_examples_exact_and_reach_4k() -> None:
    sizes = Config().sizing.sizes
    for size in (100, 150, 200, 300, 400, 600, 800, 1200):
        assert size in sizes
    assert sizes[-1] == 3840
    assert list(sizes) == sorted(set(sizes))


def test_default_sizes_include_framework_breakpoints() -> None:
    next_image_device_sizes = (640, 750, 828, 1080, 1200, 1920, 2048, 3840)
    next_image_sizes = (16, 32, 48, 64, 96, 128, 256, 384)
    assert set(next_image_device_sizes) | set(next_image_sizes) <= set(DEFAULT_SIZES)


def test_round_trip_of_defaults_through_json() -> None:
    config = Config()
    assert Config.from_mapping(json.loads(config.to_json())) == config


def test_round_trip_of_every_non_default_value() -> None:
    config = Config.of(
        size_policy=SizePolicy.STRICT,
        sizes=(10, 20, 40),
        max_dimension=500,
        qualities=(25, 75),
        default_quality={"avif": 25, "webp": 75, "jpeg": 75},
        default_format=FormatChoice.WEBP,
        source_extensions=("png", "jpg"),
        max_source_bytes=1000,
        max_source_pixels=2000,
        cache_control="public, max-age=60",
        error_max_age=0,
        missing_max_age=5,
        max_response_bytes=1234,
        bucket="some-bucket",
        region="eu-west-1",
        s3_max_attempts=5,
        s3_connect_timeout=0.5,
        s3_read_timeout=2,
        tag_variants=True,
    )
    again = Config.from_mapping(json.loads(config.to_json()))
    assert again == config
    assert again.sizing.size_policy is SizePolicy.STRICT
    assert again.sizing.default_format is FormatChoice.WEBP
    assert again.sizing.sizes == (10, 20, 40)


def test_to_json_is_plain_json_with_every_key() -> None:
    data = json.loads(Config().to_json())
    assert set(data) == set(SECTION_OF)
    assert data["size_policy"] == "snap"
    assert data["sizes"] == list(DEFAULT_SIZES)


def test_from_mapping_coerces_lists_and_enum_names() -> None:
    config = Config.from_mapping({"size_policy": "any", "sizes": [100, 200], "default_format": "png"})
    assert config.sizing.size_policy is SizePolicy.ANY
    assert config.sizing.sizes == (100, 200)
    assert config.sizing.default_format is FormatChoice.PNG


def test_from_mapping_of_empty_object_is_the_defaults() -> None:
    assert Config.from_mapping({}) == Config()


def test_from_mapping_refuses_a_non_object() -> None:
    with pytest.raises(ConfigError, match="JSON object"):
        Config.from_mapping([1, 2])  # type: ignore[arg-type]


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match="'max_widht'"):
        Config.from_mapping({"max_widht": 10})


BAD_VALUES: list[tuple[str, Any]] = [
    ("size_policy", "round"),
    ("size_policy", 3),
    ("sizes", "100,200"),
    ("sizes", []),
    ("sizes", [200, 100]),
    ("sizes", [100, 100]),
    ("sizes", [0, 100]),
    ("sizes", [100, 5000]),
    ("sizes", [100, "200"]),
    ("sizes", [True]),
    ("max_dimension", 0),
    ("max_dimension", 20000),
    ("max_dimension", "4096"),
    ("max_dimension", True),
    ("qualities", []),
    ("qualities", [0, 50, 80]),
    ("qualities", [50, 80, 101]),
    ("qualities", [80, 50]),
    ("qualities", 80),
    ("default_quality", {"avif": 50, "webp": 80}),
    ("default_quality", {"avif": 50, "webp": 80, "jpeg": 80, "png": 80}),
    ("default_quality", {"avif": 55, "webp": 80, "jpeg": 80}),
    ("default_quality", {"avif": "50", "webp": 80, "jpeg": 80}),
    ("default_quality", [50, 80, 80]),
    ("default_format", "gif"),
    ("default_format", None),
    ("source_extensions", []),
    ("source_extensions", ["PNG"]),
    ("source_extensions", [".png"]),
    ("source_extensions", ["png", "png"]),
    ("source_extensions", ["png", 5]),
    ("source_extensions", [f"e{i}" for i in range(13)]),
    ("source_extensions", "png"),
    ("max_source_bytes", 0),
    ("max_source_bytes", 1.5),
    ("max_source_pixels", -1),
    ("memory_mb", 127),
    ("memory_mb", 10_241),
    ("memory_mb", 1536.0),
    ("memory_mb", True),
    ("max_response_bytes", None),
    ("s3_max_attempts", 0),
    ("error_max_age", -1),
    ("error_max_age", "60"),
    ("missing_max_age", -5),
    ("s3_connect_timeout", 0),
    ("s3_connect_timeout", 31),
    ("s3_read_timeout", "3"),
    ("s3_read_timeout", False),
    ("cache_control", ""),
    ("cache_control", "public\r\nSet-Cookie: x=1"),
    ("cache_control", 5),
    ("cache_control", "x" * 201),
    ("tag_variants", "yes"),
    ("tag_variants", 1),
    ("bucket", ""),
    ("bucket", 5),
    ("bucket", "bad\nname"),
    ("region", ""),
    ("region", ["us-east-1"]),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_each_bad_value_raises_config_error_naming_its_key(key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_mapping({key: value})
    assert f"'{key}'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ConfigError, match="'max_dimension'"):
        Config.of(max_dimension=0)


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(AttributeError):
        config.sizing.max_dimension = 10  # type: ignore[misc]
    with pytest.raises(AttributeError):
        config.sizing = config.sizing  # type: ignore[misc]


def test_config_error_is_a_value_error_not_an_edge_error() -> None:
    from edge.errors import EdgeError

    assert issubclass(ConfigError, ValueError)
    assert not issubclass(ConfigError, EdgeError)


def test_load_config_reads_the_file_named_by_the_env_var(
    fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "custom.json"
    path.write_text(json.dumps({"size_policy": "strict", "max_response_bytes": 5000}), encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
    config = load_config()
    assert config.sizing.size_policy is SizePolicy.STRICT
    assert config.responses.max_response_bytes == 5000
    assert config.sizing.sizes == DEFAULT_SIZES


def test_load_config_reads_once_per_container(
    fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"error_max_age": 1}), encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
    first = load_config()
    path.write_text(json.dumps({"error_max_age": 2}), encoding="utf-8")
    assert load_config() is first
    assert load_config().responses.error_max_age == 1


def test_load_config_env_var_naming_a_missing_file_is_an_error(
    fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV_VAR, str(tmp_path / "absent.json"))
    with pytest.raises(ConfigError, match=CONFIG_ENV_VAR):
        load_config()


def test_load_config_invalid_json_is_a_config_error(
    fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_config()


def test_load_config_names_the_bad_key_of_the_file(
    fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"qualities": [50, 500]}), encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
    with pytest.raises(ConfigError, match="'qualities'"):
        load_config()


def test_load_config_without_any_file_gives_defaults(
    fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_module, "bundled_config_path", lambda: tmp_path / "imgedge-config.json")
    assert load_config() == Config()


def test_load_config_reads_the_bundled_file(fresh_load: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = tmp_path / "imgedge-config.json"
    bundled.write_text(json.dumps({"tag_variants": True}), encoding="utf-8")
    monkeypatch.setattr(config_module, "bundled_config_path", lambda: bundled)
    assert load_config().storage.tag_variants is True


def test_bundled_config_path_sits_at_the_bundle_root() -> None:
    path = Path(config_module.bundled_config_path())
    assert path.name == "imgedge-config.json"
    assert (path.parent / "edge" / "config.py").is_file()


# --- presets, backgrounds and the watermark --------------------------------------------------------------------


def test_presets_are_validated_and_normalised_to_url_values() -> None:
    config = Config.from_mapping(
        {"presets": {"ios_profile_image": {"w": 200, "h": 200, "grayscale": True, "focus": [0.3, 0.7], "dpr": 1.5}}}
    )
    assert dict(config.url.presets["ios_profile_image"]) == {
        "w": "200", "h": "200", "grayscale": "1", "focus": "0.3,0.7", "dpr": "1.5"
    }  # fmt: skip
    assert Config.from_mapping(json.loads(config.to_json())) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"presets": {"Bad Name": {"w": 1}}}, "presets"),
        ({"presets": {"a": {"w": 1, "colour": "red"}}}, "unknown parameter 'colour'"),
        ({"presets": {"a": {"w": 1, "preset": "b"}}}, "unknown parameter 'preset'"),
        ({"presets": {"a": {"q": 60}}}, "w or h is required"),
        ({"presets": {"a": {"w": 1, "rotate": 45}}}, "rotate must be 0, 90, 180 or 270"),
        ({"presets": {"a": {"w": 1, "focus": {"x": 1}}}}, "bad value for focus"),
        ({"presets": []}, "presets"),
        ({"preset_overrides": ["w", "colour"]}, "preset_overrides"),
        ({"presets_only": True}, "presets_only"),
        ({"backgrounds": ["FFFFFF"]}, "backgrounds"),
        ({"backgrounds": ["fff"]}, "backgrounds"),
        ({"watermark": "/logo.png"}, "watermark"),
        ({"watermark_position": "entropy"}, "watermark_position"),
        ({"watermark_opacity": 0}, "watermark_opacity"),
        ({"watermark_width": 101}, "watermark_width"),
    ],
)
def test_bad_url_api_settings_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_mapping(data)


WITH_MARK = {"watermark": "logo.png"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"watermark_passthrough": "allow"}, "'watermark_passthrough': must be rendition or deny"),
        ({"watermark_rendition": ""}, "'watermark_rendition'"),
        ({"watermark_rendition": 1280}, "'watermark_rendition'"),
        ({**WITH_MARK, "watermark_rendition": "utm_source=x"}, "'watermark_rendition': must give image parameters"),
        ({**WITH_MARK, "watermark_rendition": "w=abc"}, "'watermark_rendition': w must be a positive integer"),
        # The rendition must be a URL viewer-request accepts under the same configuration.
        ({**WITH_MARK, "presets": {"a": {"w": 100}}, "presets_only": True}, "'watermark_rendition': only presets"),
        ({**WITH_MARK, "size_policy": "strict", "sizes": [320, 640]}, "'watermark_rendition': w=1280 is not"),
        ({**WITH_MARK, "allowed_parameters": ["w", "h"]}, "'watermark_rendition': parameter fit is not enabled"),
        ({**WITH_MARK, "watermark_rendition": "preset=none"}, "'watermark_rendition': unknown preset"),
    ],
)
def test_the_default_rendition_is_checked_against_the_configuration(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_rendition(Config.from_mapping(data))


def test_watermark_passthrough_settings_round_trip() -> None:
    assert (Config().watermarking.watermark_passthrough, Config().watermarking.watermark_rendition) == (
        "rendition",
        "w=1280&h=1280&fit=inside",
    )
    for data in (
        {**WITH_MARK, "watermark_passthrough": "deny", "presets": {"a": {"w": 100}}, "presets_only": True},
        {**WITH_MARK, "presets": {"a": {"w": 100}}, "presets_only": True, "watermark_rendition": "preset=a"},
        # Without a watermark, the rendition is never used, so it is not held to the configuration.
        {"size_policy": "strict", "sizes": [320, 640]},
    ):
        config = Config.from_mapping(data)
        check_rendition(config)
        assert Config.from_mapping(json.loads(config.to_json())) == config


# --- warm_renditions ---------------------------------------------------------------------------------------------


def test_warming_is_off_by_default_and_round_trips() -> None:
    assert (Config().warming.warm_renditions, Config().warming.warm_max_renditions) == ((), 12)
    config = Config.from_mapping({"warm_renditions": ["w=320", "preset=thumb"], "presets": {"thumb": {"w": 200}}})
    assert config.warming.warm_renditions == ("w=320", "preset=thumb")
    assert Config.from_mapping(json.loads(config.to_json())) == config
    check_warm_renditions(Config())


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        # format=auto (the default): AVIF, WebP, then the original's own family, as negotiated for
        # edge.rewrite.REFERENCE_ACCEPTS.
        ("w=320", ("/320/photos/cat.avif", "/320/photos/cat.webp", "/320/photos/cat.jpg")),
        ("w=320&format=auto", ("/320/photos/cat.avif", "/320/photos/cat.webp", "/320/photos/cat.jpg")),
        ("w=640&format=webp", ("/640/photos/cat.webp",)),
        # The size policy applies: 333 snaps up to 384; utm is dropped as viewer-request drops it.
        ("w=333&format=jpeg&utm_source=x", ("/384/photos/cat.jpg",)),
        ("preset=thumb", ("/200x200/photos/cat.avif", "/200x200/photos/cat.webp", "/200x200/photos/cat.jpg")),
    ],
)
def test_a_rendition_gives_the_keys_viewer_request_would(query: str, keys: tuple[str, ...]) -> None:
    config = Config.of(presets={"thumb": {"w": 200, "h": 200}})
    assert rendition_keys("/photos/cat.jpg", query, config) == keys


@pytest.mark.parametrize(
    ("renditions", "count"),
    [
        ((), 0),
        (("w=320",), 3),
        (("w=320", "w=640", "w=1280"), 9),
        (("w=320", "w=320&format=webp"), 3),  # the WebP key of w=320 is warmed once
        # A JPEG original gets avif, webp, jpg + 640 webp + 320 png = 5; a PNG original one fewer (its 320 png
        # is format=auto's fallback too): the count is the largest.
        (("w=320", "w=640&format=webp", "w=320&format=png"), 5),
    ],
)
def test_the_count_is_the_variants_of_one_original(renditions: tuple[str, ...], count: int) -> None:
    assert warm_rendition_count(Config.of(warm_renditions=renditions)) == count


def test_a_fixed_default_format_warms_one_variant_per_rendition() -> None:
    config = Config.from_mapping({"default_format": "webp", "warm_renditions": ["w=320", "w=640"]})
    assert warm_rendition_count(config) == 2


WARM_FOUR = ["w=320", "w=640", "w=1280", "w=1920"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"warm_renditions": "w=320"}, "'warm_renditions'"),
        ({"warm_renditions": ["w=320", "w=320"]}, "'warm_renditions': must be a list of distinct query strings"),
        ({"warm_renditions": [""]}, "'warm_renditions': must be a list of distinct query strings"),
        ({"warm_max_renditions": 51}, "'warm_max_renditions': must be an integer from 1 to 50"),
        ({"warm_max_renditions": 0}, "'warm_max_renditions': must be an integer from 1 to 50"),
        ({"warm_renditions": WARM_FOUR, "warm_max_renditions": 3}, "'warm_renditions': lists more renditions"),
    ],
)
def test_warm_settings_are_checked_by_config(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_mapping(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"warm_renditions": ["w=abc"]}, "'warm_renditions': 'w=abc': w must be a positive integer"),
        ({"warm_renditions": ["utm_source=x"]}, "'warm_renditions': 'utm_source=x': must give image parameters"),
        ({"warm_renditions": ["preset=none"]}, "'warm_renditions': 'preset=none': unknown preset"),
        ({"warm_renditions": ["w=auto"]}, "'warm_renditions': 'w=auto': w must be a positive integer"),
        (
            {"warm_renditions": ["w=333"], "size_policy": "strict", "sizes": [320, 640]},
            "'warm_renditions': 'w=333': w=333 is not",
        ),
        (
            {"warm_renditions": ["w=320"], "presets": {"a": {"w": 100}}, "presets_only": True},
            "'warm_renditions': 'w=320': only presets",
        ),
        # 4 widths x 3 formats = 12 is the default maximum; a fifth width is 15.
        (
            {"warm_renditions": [*WARM_FOUR, "w=2560"]},
            "gives up to 15 variants per original, more than warm_max_renditions (12)",
        ),
        ({"warm_renditions": ["w=320", "w=640"], "warm_max_renditions": 5}, "gives up to 6 variants"),
    ],
)
def test_warm_renditions_are_checked_against_the_configuration(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_warm_renditions(Config.from_mapping(data))


def test_renditions_up_to_the_maximum_pass() -> None:
    check_warm_renditions(Config.from_mapping({"warm_renditions": WARM_FOUR}))
    check_warm_renditions(Config.from_mapping({"warm_renditions": ["w=320", "w=640"], "warm_max_renditions": 6}))


# --- allowed_parameters ----------------------------------------------------------------------------------------


def test_allowed_parameters_default_to_every_parameter_and_round_trip() -> None:
    assert Config().url.allowed_parameters == PARAMETERS
    config = Config.from_mapping({"allowed_parameters": ["w", "h", "fit", "q", "format", "dpr"]})
    assert config.url.allowed_parameters == ("w", "h", "fit", "q", "format", "dpr")
    assert Config.from_mapping(json.loads(config.to_json())) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"allowed_parameters": "w,h"}, "invalid value for configuration key 'allowed_parameters'"),
        ({"allowed_parameters": ["w", "colour"]}, "'allowed_parameters': unknown parameter 'colour'"),
        ({"allowed_parameters": ["w", 5]}, "'allowed_parameters': unknown parameter 5"),
        ({"allowed_parameters": ["w", "q", "w"]}, "'allowed_parameters': parameter 'w' is listed twice"),
        ({"allowed_parameters": ["fit", "q"]}, "'allowed_parameters': must enable w or h"),
        (
            {"allowed_parameters": ["w"], "presets": {"thumb": {"w": 100}}, "presets_only": True},
            "'allowed_parameters': must enable preset when presets_only is on",
        ),
        (
            {"allowed_parameters": ["w", "preset"], "presets": {"soft": {"w": 100, "blur": 5}}},
            "'presets': preset 'soft' uses blur, which allowed_parameters does not enable",
        ),
    ],
)
def test_bad_allowed_parameters_name_the_key_and_the_entry(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_mapping(data)


def test_per_configuration_builds_once_per_loaded_configuration(bundled_config: ConfigSetter) -> None:
    builds: list[Config] = []

    def build(config: Config) -> int:
        builds.append(config)
        return len(builds)

    current = per_configuration(build)
    assert current() == current() == 1  # the container's first event composes it, later ones reuse it
    bundled_config(error_max_age=5)  # another configuration (as a test or a changed $IMGEDGE_CONFIG gives)
    assert current() == current() == 2
    assert builds[1].responses.error_max_age == 5


# --- one declaration per setting -------------------------------------------------------------------------------


def test_each_setting_is_declared_once_in_one_section() -> None:
    declared = [item.name for _, section in SECTIONS for item in section_fields(section)]
    assert len(declared) == len(set(declared)) == len(SECTION_OF)
    # The JSON the functions load has exactly these keys (drawn from a file written by to_json, not from SECTION_OF).
    assert sorted(json.loads(Config().to_json())) == sorted(declared)


def test_every_declaration_has_a_meaning_and_a_check_its_default_passes() -> None:
    for _, section in SECTIONS:
        for item in section_fields(section):
            assert item.doc.endswith((".", ")")), item.name
            assert len(item.doc) > 20, item.name
            assert item.checks, item.name
            value = _parse_origins(item.default) if item.name == "origins" else item.default
            assert all(check.test(value) for check in item.checks), item.name


def test_a_section_is_immutable_typed_and_validated_like_the_whole() -> None:
    sizing = Sizing(sizes=(100, 200), max_dimension=300)
    assert (sizing.sizes, sizing.max_dimension, sizing.size_policy) == ((100, 200), 300, SizePolicy.SNAP)
    with pytest.raises(AttributeError, match="immutable"):
        sizing.sizes = (1,)  # type: ignore[misc]
    with pytest.raises(TypeError, match="'size'"):
        Sizing(size=100)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="'sizes': must lie between 1 and max_dimension"):
        Sizing(sizes=(100, 400), max_dimension=300)
    assert sizing == Sizing(sizes=(100, 200), max_dimension=300) != Sizing()
    assert Config(sizing=sizing) == Config.of(sizes=(100, 200), max_dimension=300)


def test_replace_checks_again_and_across_sections() -> None:
    config = Config.of(variant_prefix="_v", url_dialects=("thumbor",))
    assert config.replace(presets={"t": {"w": 200}}).url.presets == {"t": {"w": "200"}}
    with pytest.raises(ConfigError, match="'url_dialects': thumbor needs variant_prefix"):
        config.replace(variant_prefix="")
    with pytest.raises(ConfigError, match="unknown configuration key 'sizez'"):
        config.replace(sizez=(1,))
    with pytest.raises(ConfigError, match="unknown configuration key 'sizez'"):
        Config.of(sizez=(1,))
