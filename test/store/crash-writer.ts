/**
 * Child process of sqlite-crash.test.ts: writes to an embedded store as fast as it can and prints
 * "ack <round> <i> <revision>" after each write is acknowledged, until it is killed.
 * Usage: node --import tsx test/store/crash-writer.ts <dataDir> <round>
 */
import { once } from 'node:events';
import { openStore } from '../../src/store/index.js';

const [dataDir, round] = process.argv.slice(2);
if (!dataDir || !round) {
  console.error('usage: crash-writer.ts <dataDir> <round>');
  process.exit(2);
}
const store = await openStore({ backend: 'sqlite', dataDir });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  let revision: number;
  if (i % 5 === 4) {
    // Every fifth write is a two-key transaction.
    const res = await store.txn({
      success: [
        { type: 'put', key: `r${round}/k/${i}`, value: String(i) },
        { type: 'put', key: `r${round}/t/${i}`, value: String(i) },
      ],
    });
    revision = res.revision;
  } else {
    revision = (await store.put(`r${round}/k/${i}`, String(i))).revision;
  }
  // The store never yields to the event loop (better-sqlite3 is synchronous), so wait for the pipe to
  // drain when it is full: otherwise acknowledgements pile up unsent in this process.
  if (!process.stdout.write(`ack ${round} ${i} ${revision}\n`)) await once(process.stdout, 'drain');
}
