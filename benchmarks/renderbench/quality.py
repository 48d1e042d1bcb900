"""Quality: DSSIM on CIELAB against the source downscaled once in float linear light (numpy, imported on use)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any


class Quality:
    """Reference downscales of one photo (cached per output size) and the distance of an output to them."""

    def __init__(self, path: Path) -> None:
        import numpy as np  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
        from PIL import Image, ImageCms, ImageOps  # noqa: PLC0415

        self.np = np
        image = ImageOps.exif_transpose(Image.open(path))
        icc = image.info.get("icc_profile")
        if icc:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            image = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB") or image
        image = image.convert("RGB")
        self.linear = _srgb_to_linear(np.asarray(image, dtype=np.float32) / 255.0)
        self.size = image.size
        self._references: dict[tuple[int, int], Any] = {}

    def reference(self, size: tuple[int, int]) -> Any:
        """The photo at ``size``: Lanczos in linear light (float32 per channel), encoded back to sRGB."""
        from PIL import Image  # noqa: PLC0415

        np = self.np
        if size not in self._references:
            channels = [
                np.asarray(Image.fromarray(self.linear[..., c], mode="F").resize(size, Image.Resampling.LANCZOS))
                for c in range(3)
            ]
            self._references[size] = _linear_to_srgb(np.clip(np.stack(channels, axis=-1), 0.0, 1.0))
        return self._references[size]

    def distance(self, output: Path) -> float:
        """DSSIM = 1/SSIM - 1 of ``output`` against the reference of its size (lower is better; see ``dssim``)."""
        pixels = self._pixels(output)
        reference = self.reference((pixels.shape[1], pixels.shape[0]))
        return dssim(self.np, pixels.astype(self.np.float32) / 255.0, reference)

    def scores(self, output: Path | IO[bytes]) -> tuple[float, float]:
        """(DSSIM, SSIMULACRA2) of ``output`` (an image file) against the reference of its size: DSSIM as
        ``distance``, SSIMULACRA2 as libjxl computes it (``renderbench.ssimulacra2``; needs scipy)."""
        from renderbench import ssimulacra2  # noqa: PLC0415

        np = self.np
        pixels = self._pixels(output)
        reference = self.reference((pixels.shape[1], pixels.shape[0]))
        distance = dssim(np, pixels.astype(np.float32) / 255.0, reference)
        return distance, ssimulacra2.score(np.round(reference * 255).astype(np.uint8), pixels)

    def _pixels(self, output: Path | IO[bytes]) -> Any:
        """The image file ``output`` as an RGB uint8 array."""
        from PIL import Image  # noqa: PLC0415

        with Image.open(output) as image:
            return self.np.asarray(image.convert("RGB"))


#: Weights of the L*, a* and b* SSIMs in ``dssim``: lightness carries most of what the eye resolves.
LAB_WEIGHTS = (0.5, 0.25, 0.25)


def dssim(np: Any, pixels: Any, reference: Any) -> float:
    """1/SSIM - 1, SSIM the weighted mean over CIELAB channels of Wang et al.'s SSIM (Gaussian sigma 1.5,
    K1 0.01, K2 0.03). a* and b* are shifted by +128 (range 255) and L* kept at 0-100, so the luminance term
    compares means on a positive scale: on signed chroma near grey, a 0.5-unit bias alone would read as a large
    structural loss."""
    lab_out, lab_ref = _lab(np, pixels), _lab(np, reference)
    shift = np.array([0.0, 128.0, 128.0], dtype=np.float32)
    lab_out, lab_ref = lab_out + shift, lab_ref + shift
    ranges = (100.0, 255.0, 255.0)
    ssim = sum(w * _ssim(np, lab_out[..., c], lab_ref[..., c], ranges[c]) for c, w in enumerate(LAB_WEIGHTS))
    return 1.0 / ssim - 1.0


def _srgb_to_linear(values: Any) -> Any:
    import numpy as np  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415

    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _linear_to_srgb(values: Any) -> Any:
    import numpy as np  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415

    return np.where(values <= 0.0031308, values * 12.92, 1.055 * np.power(values, 1 / 2.4) - 0.055).astype(np.float32)


def _lab(np: Any, srgb: Any) -> Any:
    """sRGB (0-1) to CIELAB (D65)."""
    linear = _srgb_to_linear(srgb)
    matrix = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]],
        dtype=np.float32,
    )
    xyz = linear @ matrix.T / np.array([0.95047, 1.0, 1.08883], dtype=np.float32)
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def _blur(np: Any, plane: Any) -> Any:
    """Separable Gaussian (sigma 1.5, 11 taps), 'valid' region only."""
    taps = np.exp(-0.5 * (np.arange(11) - 5) ** 2 / 1.5**2)
    taps /= taps.sum()
    rows = sum(taps[i] * plane[i : plane.shape[0] - 10 + i, :] for i in range(11))
    return sum(taps[i] * rows[:, i : rows.shape[1] - 10 + i] for i in range(11))


def _ssim(np: Any, x: Any, y: Any, data_range: float) -> float:
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    x, y = x.astype(np.float64), y.astype(np.float64)
    mx, my = _blur(np, x), _blur(np, y)
    sxx = _blur(np, x * x) - mx * mx
    syy = _blur(np, y * y) - my * my
    sxy = _blur(np, x * y) - mx * my
    ssim = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(ssim.mean())
