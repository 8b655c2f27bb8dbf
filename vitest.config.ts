import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (ws: string, entry = 'index') =>
  fileURLToPath(new URL(`./${ws}/src/${entry}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // subpath exports first: an alias also matches the imports that start with it
    alias: {
      '@ganzhi/device-profiles/contract': src('device-profiles', 'contract/index'),
      '@ganzhi/device-profiles/codec': src('device-profiles', 'codec/index'),
      '@ganzhi/runtime': src('runtime'),
      '@ganzhi/device-profiles': src('device-profiles'),
      '@ganzhi/durable-log': src('durable-log'),
      '@ganzhi/simulators': src('simulators'),
      '@ganzhi/edge-agent': src('edge-agent'),
      '@ganzhi/broker': src('broker'),
      '@ganzhi/cloud-ingest': src('cloud-ingest'),
    },
  },
  test: {
    include: ['*/src/**/*.test.ts', '*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
