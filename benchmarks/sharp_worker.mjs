// sharp engine of benchmarks/render_bench.py: one JSON request per stdin line, one JSON answer per stdout line.
//
//   node sharp_worker.mjs NODE_DIR       NODE_DIR holds node_modules/sharp (benchmarks/.bench/node)
//   BENCH_THREADS=N                      sharp.concurrency(N) (libvips threads); default 1
//
// Requests: {"op":"hello"} -> versions; {"op":"load","name":..,"path":..} reads an original into memory once;
// {"op":"render","name":..,"format":"jpeg"|"webp"|"avif","width":..,"out":path|null[,"quality":..][,"effort":..]
//  [,"subsampling":"4:4:4"|"4:2:0"]}
// decodes the in-memory
// original from its bytes, auto-orients, resizes to width (never enlarging) and encodes it, and answers the
// wall-clock and CPU milliseconds of that call alone (process start-up and file reads are never timed);
// {"op":"stats"} -> peak RSS.
// The libvips operation cache is off, so every call decodes the original again.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import readline from 'node:readline';

const nodeDir = process.argv[2];
const require = createRequire(join(nodeDir, 'package.json'));
const sharp = require('sharp');

const threads = Number(process.env.BENCH_THREADS || '1');
sharp.concurrency(threads);
sharp.cache(false);

// The settings: JPEG q80 4:2:0 optimised Huffman; WebP q80 effort 4; AVIF q50 4:2:0 8-bit effort 4
// (libheif/aom speed 5). These are sharp's defaults apart from the explicit subsampling.
// A request's "quality" (and, for AVIF, "effort" and "subsampling": sharp's own default is 4:4:4) replaces these,
// for the rate-distortion sweeps (rd_bench.py).
const ENCODE = {
  jpeg: (p, q = 80) => p.jpeg({ quality: q, chromaSubsampling: '4:2:0', optimiseCoding: true }),
  webp: (p, q = 80) => p.webp({ quality: q, effort: 4 }),
  avif: (p, q = 50, effort = 4, subsampling = '4:2:0') =>
    p.avif({ quality: q, chromaSubsampling: subsampling, bitdepth: 8, effort }),
};

const sources = new Map();

async function handle(msg) {
  switch (msg.op) {
    case 'hello':
      return { versions: sharp.versions, concurrency: sharp.concurrency(), simd: sharp.simd() };
    case 'load':
      sources.set(msg.name, readFileSync(msg.path));
      return { ok: true };
    case 'render': {
      const data = sources.get(msg.name);
      const effort = msg.effort;
      const cpuStart = process.cpuUsage();
      const started = process.hrtime.bigint();
      let pipeline = sharp(data).autoOrient().resize({ width: msg.width, withoutEnlargement: true });
      pipeline = ENCODE[msg.format](pipeline, msg.quality ?? undefined, effort ?? undefined, msg.subsampling ?? undefined);
      const { data: body, info } = await pipeline.toBuffer({ resolveWithObject: true });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = process.cpuUsage(cpuStart);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      if (msg.out) writeFileSync(msg.out, body);
      return { ms, cpu_ms: cpuMs, bytes: body.length, width: info.width, height: info.height };
    }
    case 'stats':
      return { maxrss_kib: process.resourceUsage().maxRSS };
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
for await (const line of lines) {
  if (!line.trim()) continue;
  const msg = JSON.parse(line);
  if (msg.op === 'quit') break;
  let answer;
  try {
    answer = await handle(msg);
  } catch (err) {
    answer = { error: String(err && err.stack ? err.stack : err) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
