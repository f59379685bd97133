/** Runs the blox CLI from source (tsx), for the `blox up` start-up scenario. */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
