#!/usr/bin/env node
require('./start.js')('create-istio-wasm');
