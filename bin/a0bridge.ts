#!/usr/bin/env -S npx tsx
/** The `a0bridge` command: `npm run a0bridge -- modules list`. */
import { processIo } from '../cli/io';
import { main } from '../cli/main';

main(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
