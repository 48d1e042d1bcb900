// imgedge demo page: plain JS, no build step. Reads /_imgedge/config and /_imgedge/originals, shows every
// original as responsive <img srcset sizes> variants, and captions each with what the edge did
// (from PerformanceResourceTiming: bytes, content type and the server-timing header the emulator sends).
"use strict";

const SRCSET_WIDTHS = [320, 640, 960, 1280];
const FIXED_WIDTHS = [100, 200, 300];
const SIZES = "(max-width: 900px) 46vw, 22vw";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

function humanBytes(size) {
  if (size === undefined || size === null) return "?";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1048576).toFixed(2)} MiB`;
}

function ms(value) {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function variantUrl(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  return `${path}?${query}`;
}

function pngFamily(original) {
  return /\.(png|gif)$/i.test(original.key);
}

function timingMap(entries) {
  const result = {};
  for (const entry of entries || []) result[entry.name] = { dur: entry.duration, desc: entry.description };
  return result;
}

function parseServerTiming(header) {
  const result = {};
  for (const part of (header || "").split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const item = { dur: 0, desc: "" };
    for (const param of params) {
      const [key, value = ""] = param.trim().split("=");
      if (key === "dur") item.dur = parseFloat(value);
      if (key === "desc") item.desc = value.replace(/^"|"$/g, "");
    }
    result[name] = item;
  }
  return result;
}

// What the edge did for one loaded <img>: from its resource-timing entry, or (browser cache, no entry) a HEAD.
async function inspect(img) {
  const url = img.currentSrc || img.src;
  const entries = performance.getEntriesByName(url, "resource");
  const entry = entries[entries.length - 1];
  if (entry && entry.serverTiming && entry.serverTiming.length && entry.contentType) {
    return {
      contentType: entry.contentType,
      bytes: entry.encodedBodySize,
      timing: timingMap(entry.serverTiming),
      status: entry.responseStatus,
    };
  }
  const response = await fetch(url, { method: "HEAD", cache: "no-store" });
  return {
    contentType: response.headers.get("content-type"),
    bytes: Number(response.headers.get("content-length")),
    timing: parseServerTiming(response.headers.get("server-timing")),
    status: response.status,
    viaHead: true,
  };
}

// The variant's own pixel size: for a srcset image, naturalWidth is scaled by the chosen candidate's density.
async function pixelSize(img) {
  if (!img.srcset) return [img.naturalWidth, img.naturalHeight];
  const probe = new Image();
  probe.src = img.currentSrc;
  await probe.decode();
  return [probe.naturalWidth, probe.naturalHeight];
}

function caption(figure, label, info, size) {
  const cap = figure.querySelector("figcaption");
  cap.replaceChildren();
  const type = (info.contentType || "").replace("image/", "").toUpperCase() || "?";
  const cache = (info.timing.cache && info.timing.cache.desc) || "?";
  cap.append(
    el("span", { class: "label", text: `${label} → ${type} ` }),
    el("span", { class: `badge ${cache}`, text: cache }),
    el("br"),
    el("span", { class: "stats", text: `${size[0]}×${size[1]} · ${humanBytes(info.bytes)}` }),
    el("br"),
  );
  const t = info.timing;
  let timing;
  if (cache === "Hit") {
    timing = `hit in ${ms(t.total ? t.total.dur : 0)}`;
    if (t["miss-render"]) timing += ` · rendered in ${ms(t["miss-render"].dur)}`;
  } else {
    timing = t.render ? `render ${ms(t.render.dur)}` : "from S3";
    if (t.total) timing += ` · total ${ms(t.total.dur)}`;
  }
  cap.append(el("span", { class: "stats", text: timing }));
  figure.dataset.state = "done";
  figure.dataset.contentType = info.contentType || "";
  figure.dataset.cache = cache;
  figure.dataset.width = String(size[0]);
  figure.dataset.height = String(size[1]);
}

function watch(figure, img, label) {
  const done = async () => {
    try {
      caption(figure, label, await inspect(img), await pixelSize(img));
    } catch (error) {
      figure.querySelector("figcaption").textContent = `${label}: ${error}`;
      figure.dataset.state = "error";
    }
  };
  img.addEventListener("load", done, { once: true });
  img.addEventListener("error", async () => {
    figure.dataset.state = "error";
    const cap = figure.querySelector("figcaption");
    try {
      const response = await fetch(img.currentSrc || img.src, { cache: "no-store" });
      const body = (await response.text()).trim();
      cap.replaceChildren(
        el("span", { class: "label", text: `${label} ` }),
        el("span", { class: "badge bad", text: String(response.status) }),
        el("br"),
        el("span", { class: "stats", text: body.slice(0, 120) }),
      );
    } catch (error) {
      cap.textContent = `${label}: failed (${error})`;
    }
  }, { once: true });
}

function variantFigure(original, label, attrs, frameStyle) {
  const img = el("img", { alt: `${original.key} ${label}`, decoding: "async", ...attrs });
  const figure = el("figure", { class: "variant", "data-state": "loading", "data-original": original.key },
    el("div", { class: "frame", style: frameStyle }, img),
    el("figcaption", { text: `${label}: loading…` }));
  watch(figure, img, label);
  return figure;
}

function originalCard(original, extra) {
  const meta = original.width
    ? `${original.width}×${original.height} · ${original.format} · ${humanBytes(original.bytes)}`
    : `${humanBytes(original.bytes)} · not decodable: ${original.error || "?"}`;
  const card = el("article", { class: "original" },
    el("header", {}, el("h3", { text: original.key }), el("span", { class: "meta", text: meta })));
  const own = pngFamily(original) ? "png" : "jpeg";
  const formats = el("div", { class: "formats" });
  for (const format of ["auto", "avif", "webp", own]) {
    const srcset = SRCSET_WIDTHS
      .map((w) => `${variantUrl(original.url, { w, format: format === "auto" ? "" : format, ...extra })} ${w}w`)
      .join(", ");
    const src = variantUrl(original.url, { w: SRCSET_WIDTHS[1], format: format === "auto" ? "" : format, ...extra });
    const label = format === "auto" ? "auto (Accept)" : format;
    formats.append(variantFigure(original, label, { src, srcset, sizes: SIZES }));
  }
  const widths = el("div", { class: "widths" });
  for (const w of FIXED_WIDTHS) {
    const src = variantUrl(original.url, { w, ...extra });
    widths.append(variantFigure(original, `w=${w}`, { src }, ""));
  }
  card.append(formats, widths);
  return card;
}

function renderGrid(originals, extra) {
  const grid = document.getElementById("grid");
  grid.replaceChildren(...originals.map((original) => originalCard(original, extra)));
}

function renderFacts(config, originals) {
  const facts = document.getElementById("facts");
  const rows = [
    ["bucket", `${config.bucket} (${config.s3})`],
    ["region", config.region],
    ["originals", String(originals.length)],
    ["size policy", `${config.size_policy}, ${config.sizes.length} sizes up to ${config.sizes[config.sizes.length - 1]}`],
  ];
  facts.replaceChildren(...rows.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })]));
}

function fillForm(config, originals) {
  const path = document.getElementById("try-path");
  for (const original of originals) path.append(el("option", { value: original.url, text: original.key }));
  for (const fit of config.fits) document.getElementById("try-fit").append(el("option", { value: fit, text: fit }));
  for (const format of config.formats.filter((f) => f !== "auto")) {
    document.getElementById("try-format").append(el("option", { value: format, text: format }));
  }
  const options = (id, values) => {
    for (const value of values || []) document.getElementById(id).append(el("option", { value, text: value }));
  };
  options("try-preset", config.presets);
  options("try-dpr", config.dprs);
  options("try-gravity", config.gravities);
  options("try-background", config.backgrounds);
  options("try-blur", config.blur_radii);
  document.getElementById("try-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const params = {};
    for (const name of ["preset", "w", "h", "fit", "q", "format", "dpr", "gravity", "focus", "background", "blur",
      "rotate", "grayscale", "sharpen", "flip", "flop"]) {
      params[name] = data.get(name);
    }
    if (params.preset) {
      // A preset sets the rest; only its allowed overrides may be added (the edge answers 400 otherwise).
      for (const name of ["w", "h", "fit", "q"]) params[name] = null;
    }
    const url = variantUrl(data.get("path"), params);
    await tryRequest(url, data.get("accept"));
  });
}

async function tryRequest(url, accept) {
  const started = performance.now();
  const response = await fetch(url, { cache: "no-store", headers: accept ? { Accept: accept } : {} });
  const elapsed = performance.now() - started;
  const result = document.getElementById("try-result");
  const img = document.getElementById("try-img");
  const body = document.getElementById("try-body");
  const link = document.getElementById("try-url");
  link.textContent = url;
  link.href = url;
  result.hidden = false;
  const contentType = response.headers.get("content-type") || "";
  let dims = "";
  if (contentType.startsWith("image/")) {
    const blob = await response.blob();
    img.src = URL.createObjectURL(blob);
    await img.decode().catch(() => {});
    dims = `${img.naturalWidth}×${img.naturalHeight}`;
    img.hidden = false;
    body.hidden = true;
  } else {
    img.hidden = true;
    body.hidden = false;
    body.textContent = await response.text();
  }
  const rows = [
    ["status", `${response.status}${response.redirected ? ` (after a redirect, from ${response.url})` : ""}`],
    ["x-imgedge-cache", response.headers.get("x-imgedge-cache")],
    ["x-imgedge-key", response.headers.get("x-imgedge-key")],
    ["content-type", contentType],
    ["content-length", response.headers.get("content-length")],
    ["dimensions", dims],
    ["cache-control", response.headers.get("cache-control")],
    ["server-timing", response.headers.get("server-timing")],
    ["round trip", ms(elapsed)],
  ];
  document.getElementById("try-headers").replaceChildren(
    ...rows.filter(([, value]) => value).map(([name, value]) => el("tr", {}, el("th", { text: name }), el("td", { text: value }))));
  refreshLog();
}

async function refreshLog() {
  const records = await getJSON("/_imgedge/log");
  const head = el("tr", {}, ...["time", "request", "status", "cache", "type", "bytes", "render", "total"]
    .map((name) => el("th", { text: name })));
  const rows = records.slice(-40).reverse().map((r) => el("tr", {},
    el("td", { text: new Date(r.time * 1000).toLocaleTimeString() }),
    el("td", { class: "path", text: `${r.method} ${r.path}` }),
    el("td", { text: String(r.status) }),
    el("td", {}, el("span", { class: `badge ${r.cache}`, text: r.cache })),
    el("td", { text: (r.content_type || "").split(";")[0] }),
    el("td", { class: "num", text: humanBytes(r.bytes) }),
    el("td", { class: "num", text: r.timings.render ? ms(r.timings.render) : "" }),
    el("td", { class: "num", text: r.timings.total ? ms(r.timings.total) : "" })));
  document.getElementById("log").replaceChildren(head, ...rows);
}

async function main() {
  const [config, originals] = await Promise.all([getJSON("/_imgedge/config"), getJSON("/_imgedge/originals")]);
  renderFacts(config, originals);
  fillForm(config, originals);
  renderGrid(originals, {});
  document.body.dataset.originals = String(originals.length);
  document.getElementById("reload").addEventListener("click", () => {
    renderGrid(originals, { _reload: Date.now() });
  });
  document.getElementById("refresh-log").addEventListener("click", refreshLog);
  const pending = () => document.querySelectorAll('figure.variant[data-state="loading"]').length;
  const poll = setInterval(() => {
    if (pending() === 0) {
      clearInterval(poll);
      document.body.dataset.ready = "true";
      document.getElementById("try-form").requestSubmit();
    }
  }, 250);
}

main().catch((error) => {
  document.getElementById("grid").textContent = `Could not load the demo: ${error}`;
  document.body.dataset.ready = "error";
});
