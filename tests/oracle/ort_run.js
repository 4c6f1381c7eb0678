#!/usr/bin/env node
'use strict';
/**
 * ONNX Runtime oracle: runs one model on the CPU execution provider and saves every output.
 *
 *   node tests/oracle/ort_run.js MODEL.onnx INPUTS.npz OUT.npz [--threads N] [--no-opt] [--print-shapes]
 *
 * Every array of INPUTS.npz is fed under its member name (minus ".npy"). All model outputs
 * are written to OUT.npz (STORED). --threads sets intraOpNumThreads (default 1, so results
 * and timings do not depend on the machine); --no-opt disables graph optimisations (default
 * 'all'); --print-shapes prints [{name, dtype, dims}] for the outputs as JSON on stdout
 * (OUT.npz is then optional). Any error: one line on stderr, exit status 2.
 */
const fs = require('fs');
const { readNpz, formatNpz, DTYPES } = require('./npy');

const USAGE = 'usage: ort_run.js MODEL.onnx INPUTS.npz OUT.npz [--threads N] [--no-opt] [--print-shapes]';

function die(msg) {
  process.stderr.write(`ort_run: ${String(msg).replace(/\s+/g, ' ').trim()}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { threads: 1, opt: true, printShapes: false, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') {
      const n = argv[++i];
      if (!/^[1-9]\d*$/.test(n || '')) die(`--threads needs a positive integer, got '${n}'`);
      opts.threads = Number(n);
    } else if (a === '--no-opt') opts.opt = false;
    else if (a === '--print-shapes') opts.printShapes = true;
    else if (a === '-h' || a === '--help') { console.log(USAGE); process.exit(0); }
    else if (a.startsWith('--')) die(`unknown option ${a}; ${USAGE}`);
    else opts.pos.push(a);
  }
  const need = opts.printShapes ? [2, 3] : [3, 3];
  if (opts.pos.length < need[0] || opts.pos.length > need[1]) die(USAGE);
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [modelPath, inputsPath, outPath] = opts.pos;
  let ort;
  try { ort = require('onnxruntime-node'); } catch (e) {
    die(`cannot load onnxruntime-node (run 'npm ci --ignore-scripts' in tests/oracle): ${e.message}`);
  }

  let inputs;
  try { inputs = readNpz(fs.readFileSync(inputsPath), inputsPath); } catch (e) { die(e.message); }

  let session;
  try {
    // Created from the path (not bytes) so ORT resolves external data next to the model.
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: opts.opt ? 'all' : 'disabled',
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3, // errors only; they reach us as the rejected promise anyway
    });
  } catch (e) { die(`cannot load ${modelPath}: ${e.message}`); }

  const feeds = {};
  for (const [name, arr] of inputs) {
    if (!session.inputNames.includes(name)) {
      die(`input '${name}' from ${inputsPath} is not a model input (model inputs: ${session.inputNames.join(', ')})`);
    }
    feeds[name] = new ort.Tensor(arr.dtype, arr.data, arr.dims);
  }
  const missing = session.inputNames.filter(n => !(n in feeds));
  if (missing.length) die(`${inputsPath} lacks model input(s): ${missing.join(', ')}`);

  let results;
  try { results = await session.run(feeds); } catch (e) { die(`run failed: ${e.message}`); }

  const outs = [];
  for (const name of session.outputNames) {
    const t = results[name];
    if (!DTYPES[t.type]) die(`output '${name}' has unsupported type ${t.type}`);
    outs.push([name, { dtype: t.type, dims: t.dims.map(Number), data: t.data }]);
  }
  if (outPath) {
    try { fs.writeFileSync(outPath, formatNpz(outs)); } catch (e) { die(`cannot write ${outPath}: ${e.message}`); }
  }
  if (opts.printShapes) {
    // Synchronous: console.log to a pipe is asynchronous, and process.exit would cut it at 64 KiB.
    fs.writeSync(1, JSON.stringify(outs.map(([name, a]) => ({ name, dtype: a.dtype, dims: a.dims }))) + '\n');
  }
  await session.release();
}

main().then(() => process.exit(0), e => die(e && e.message ? e.message : e));
