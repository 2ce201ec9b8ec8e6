#!/usr/bin/env node
if (process.argv.includes('--verbose') || process.env.DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import('../dist/cli.js');
await main(process.argv, 'create-istio-wasm');
