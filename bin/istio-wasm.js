#!/usr/bin/env node
require('./start.js')('istio-wasm');
