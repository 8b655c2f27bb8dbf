// Memory sampler preloaded into a process under a bench (`--import=<this file>`, e.g. through
// GZ_BENCH_AGENT_NODE_ARGS): every 5 s one JSON line into the file GZ_MEMLOG names, with
// process.memoryUsage(), the V8 heap spaces and the code statistics. Does nothing without GZ_MEMLOG.
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';

const file = process.env.GZ_MEMLOG;
if (file) {
  const t = setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round((s.space_size / 2 ** 20) * 10) / 10]),
    );
    const h = v8.getHeapStatistics();
    const cs = v8.getHeapCodeStatistics();
    appendFileSync(
      file,
      `${JSON.stringify({ t: Date.now(), node: process.version, rss: m.rss / 2 ** 20, heapTotal: m.heapTotal / 2 ** 20, heapUsed: m.heapUsed / 2 ** 20, external: m.external / 2 ** 20, arrayBuffers: m.arrayBuffers / 2 ** 20, mallocedMemory: h.malloced_memory / 2 ** 20, peakMalloced: h.peak_malloced_memory / 2 ** 20, heapLimit: h.heap_size_limit / 2 ** 20, code: (cs.code_and_metadata_size + cs.bytecode_and_metadata_size) / 2 ** 20, spaces })}\n`,
    );
  }, 5000);
  t.unref();
}
