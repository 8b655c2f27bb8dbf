import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (ws: string) => fileURLToPath(new URL(`./${ws}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
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
