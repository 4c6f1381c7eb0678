#!/usr/bin/env node
'use strict';
/**
 * ONNX Runtime over many op cases in one process (tests/oracle/ort_run.js does one model per
 * process; starting node + ORT ~400 times would dominate the case generation).
 *
 *   node tests/reference/ort_batch.js CASE_DIR...
 *
 * Each CASE_DIR holds model.onnx and in.npz; the outputs are written to CASE_DIR/ort_out.npz,
 * or the error to CASE_DIR/ort_error.txt. Same session settings as ort_run.js (CPU, one
 * thread, sequential). Exit status 0 unless ORT itself cannot be loaded.
 */
const fs = require('fs');
const path = require('path');
const { readNpz, formatNpz, DTYPES } = require('../oracle/npy');

async function runCase(ort, dir) {
  const inputs = readNpz(fs.readFileSync(path.join(dir, 'in.npz')), path.join(dir, 'in.npz'));
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
  const feeds = {};
  for (const [name, arr] of inputs) feeds[name] = new ort.Tensor(arr.dtype, arr.data, arr.dims);
  const results = await session.run(feeds);
  const outs = [];
  for (const name of session.outputNames) {
    const t = results[name];
    if (!DTYPES[t.type]) throw new Error(`output '${name}' has unsupported type ${t.type}`);
    outs.push([name, { dtype: t.type, dims: t.dims.map(Number), data: t.data }]);
  }
  fs.writeFileSync(path.join(dir, 'ort_out.npz'), formatNpz(outs));
  await session.release();
}

async function main() {
  let ort;
  try {
    ort = require(path.join(__dirname, '../oracle/node_modules/onnxruntime-node'));
  } catch (e) {
    process.stderr.write(`ort_batch: cannot load onnxruntime-node: ${e.message}\n`);
    process.exit(2);
  }
  for (const dir of process.argv.slice(2)) {
    for (const f of ['ort_out.npz', 'ort_error.txt']) fs.rmSync(path.join(dir, f), { force: true });
    try {
      await runCase(ort, dir);
    } catch (e) {
      const msg = String(e && e.message ? e.message : e).replace(/\s+/g, ' ').trim();
      fs.writeFileSync(path.join(dir, 'ort_error.txt'), msg + '\n');
    }
  }
}

main().then(() => process.exit(0), e => { process.stderr.write(`ort_batch: ${e}\n`); process.exit(2); });
