"""SSIMULACRA2 (2.1) as libjxl's ``tools/ssimulacra2`` computes it, on the ``ssimulacra2`` package's pipeline.

The package (PyPI 0.3.0, github.com/Pacidus/py-ssimulacra2, a NumPy/SciPy port) differs from the C++ tool in two
places, which ``score`` replaces; everything else (sRGB decoding, XYB, the SSIM and edge maps, the 108 weights, the
final mapping) is the package's own code:

1. Blur: libjxl's recursive Gaussian (sigma 1.5) is, up to float rounding, a symmetric 9-tap filter with zeros
   outside the image (``JXL_BLUR_TAPS``: its impulse response, measured by running the recursion on a unit impulse
   in float64). The package convolves with SciPy's 11-tap sampled Gaussian, reflecting at the left and right edges.
2. Scales: the C++ loop tests the size of the previous scale before it halves, so it still scores a last scale
   under 8 px (6 scales from 113 px up); the package drops it (6 scales only from 225 px up), and the weights of
   every later term then land on the wrong one. At 300-320 px wide 16:10 photos that moves scores by 34-37 points.

Measured against published C++ scores by ``benchmarks/ssimulacra2_check.py``: within 0.25 on every textured pair
(the package: off by 1-4.6 points on 256 px JPEG pairs, and by up to 635 on small synthetic ones).
"""

from __future__ import annotations

from typing import Any

#: libjxl's RecursiveGaussian for sigma 1.5 as a 9-tap FIR filter: the taps from the outer one to the centre.
JXL_BLUR_TAPS = (0.009414367809654, 0.036011114658364, 0.109335372777460, 0.212928592010422, 0.264621105488198)


def score(reference: Any, distorted: Any) -> float:
    """SSIMULACRA2 of ``distorted`` against ``reference``: two RGB uint8 arrays (height x width x 3) of one shape.

    100 is identical; 90 and up is visually lossless to most viewers, 70 high quality, 50 medium; it can go below
    0 for very distorted images. Raises ``ValueError`` when the shapes differ. Needs numpy, scipy and the package.
    """
    import numpy as np  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    from scipy import ndimage  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415
    from ssimulacra2 import ssimulacra2 as s2  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415

    if np.shape(reference) != np.shape(distorted):
        raise ValueError(f"shapes differ: {np.shape(reference)} and {np.shape(distorted)}")
    taps = np.asarray(JXL_BLUR_TAPS + JXL_BLUR_TAPS[-2::-1])

    def blur(image: Any) -> Any:
        rows = ndimage.convolve1d(image, taps, axis=0, mode="constant", cval=0.0)
        return ndimage.convolve1d(rows, taps, axis=1, mode="constant", cval=0.0)

    linear1 = s2.srgb_to_linear(np.asarray(reference, dtype=np.float64))
    linear2 = s2.srgb_to_linear(np.asarray(distorted, dtype=np.float64))
    result = s2.Msssim()
    for scale in range(s2.kNumScales):
        if linear1.shape[0] < 8 or linear1.shape[1] < 8:
            break
        if scale:
            linear1, linear2 = s2.downsample(linear1, 2, 2), s2.downsample(linear2, 2, 2)
        img1 = s2.make_positive_xyb(s2.linear_rgb_to_xyb(linear1))
        img2 = s2.make_positive_xyb(s2.linear_rgb_to_xyb(linear2))
        mu1, mu2 = blur(img1), blur(img2)
        maps = s2.MsssimScale()
        maps.avg_ssim = s2.ssim_map(mu1, mu2, blur(img1 * img1), blur(img2 * img2), blur(img1 * img2))
        maps.avg_edgediff = s2.edge_diff_map(img1, mu1, img2, mu2)
        result.scales.append(maps)
    return float(result.score())
