// A next/image custom loader for imgedge.
//
// next.config.js:
//   module.exports = { images: { loader: "custom", loaderFile: "./imgedge-loader.mjs" } };
// and set NEXT_PUBLIC_IMGEDGE_URL to the distribution, e.g. https://dxxxxxxxx.cloudfront.net (or your domain).
//
// next/image asks for its deviceSizes and imageSizes (640 ... 3840, 16 ... 384 by default): every one of them is
// in imgedge's default sizes, so each width is a variant of its own, never snapped. Without a quality prop, the
// URL has no q and each format gets imgedge's default quality (AVIF 50, WebP/JPEG 80); with one, imgedge snaps
// it to the allowed qualities (75 becomes 80). The format is negotiated from the browser's Accept header.
const BASE = (globalThis.process?.env?.NEXT_PUBLIC_IMGEDGE_URL ?? "").replace(/\/$/, "");

export default function imgedgeLoader({ src, width, quality }) {
  const params = new URLSearchParams({ w: String(width) });
  if (quality) {
    params.set("q", String(quality));
  }
  const path = src.startsWith("/") ? src : `/${src}`;
  return `${BASE}${path}?${params}`;
}
