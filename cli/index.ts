#!/usr/bin/env node
/** The `rondo` program. Only this file sets the exit code. */
import { prestartZoneWorker } from '../zones/zone-worker-start.js';
import { firstZoneJob } from './first-zone-job.js';

// `rondo serve`: the zone worker boots, and compiles the first zone file, while the rest of the
// program is imported, not after.
if (process.argv[2] === 'serve') prestartZoneWorker(firstZoneJob(process.argv.slice(3)));
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
