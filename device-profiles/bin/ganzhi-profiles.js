#!/usr/bin/env node
// npm links this committed file as the `ganzhi-profiles` command. npm skips a bin whose file
// does not exist at install time, and dist/ only exists after the build, so the command is
// this small launcher rather than dist/cli.js itself.
let mod;
try {
  mod = await import(new URL('../dist/cli.js', import.meta.url).href);
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('ganzhi-profiles: not built yet; run `npx tsc -b` in the repository root first\n');
    process.exit(2);
  }
  throw err;
}
process.exitCode = mod.runCli(process.argv.slice(2));
