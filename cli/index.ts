#!/usr/bin/env node
/** The `rondo` program. Only this file sets the exit code. */
import { prestartZoneWorker } from '../zones/zone-worker-start.js';

// `rondo serve`: the zone worker boots while the rest of the program is imported, not after.
if (process.argv[2] === 'serve') prestartZoneWorker();
const { main } = await import('./main.js');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
