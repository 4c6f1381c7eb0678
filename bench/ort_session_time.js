#!/usr/bin/env node
'use strict';
/**
 * Peer for bench/compile_time.py: the wall time of ONNX Runtime's session creation with every
 * graph optimization on (load, optimize, plan; no run), printed as JSON {"seconds": S}.
 *
 *   node bench/ort_session_time.js MODEL.onnx
 */
const path = require('path');

async function main() {
  const ort = require(path.join(__dirname, '..', 'tests', 'oracle', 'node_modules', 'onnxruntime-node'));
  const t0 = process.hrtime.bigint();
  await ort.InferenceSession.create(process.argv[2], {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1,
    interOpNumThreads: 1, logSeverityLevel: 3,
  });
  console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
}

main().catch((e) => { process.stderr.write(`ort_session_time: ${e.message}\n`); process.exit(2); });
