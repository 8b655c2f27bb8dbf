/**
 * Starting and stopping peer processes in tests: free loopback ports, temp dirs, readiness
 * polling, and teardown by PID. The code lives in procs.mjs (plain ESM, shared with the chaos
 * and load scripts); this file keeps the import path the test files use.
 */
export {
  type Exit,
  fatal,
  freePort,
  killAllChildren,
  type Spawned,
  type SpawnOptions,
  sleep,
  spawnLogged,
  tempDir,
  waitFor,
  waitForLog,
} from './procs.mjs';
