import { loadZoneFile } from './zones/load.js';
import { describeZone } from './zones/present.js';
const r = await loadZoneFile(process.argv[2] ?? 'zones/examples/example.test.zone');
if (r.ok) { console.log(JSON.stringify(describeZone(r.zone), null, 1)); for (const w of r.warnings) console.log('W', w.code, w.message); }
else for (const e of r.errors) console.log(e.code, e.message);
