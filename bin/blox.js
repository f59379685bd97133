#!/usr/bin/env node
// The blox binary: runs the compiled CLI (npm install builds it through the prepare script).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(`blox: ${err && err.message ? err.message : err}`);
    process.exitCode = 1;
  },
);
