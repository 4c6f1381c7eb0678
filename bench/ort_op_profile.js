#!/usr/bin/env node
'use strict';
/**
 * Where ONNX Runtime (CPU, 1 thread) spends a model's time, per op type, robust to a shared
 * machine: ORT's profiler records every node's kernel time; each node counts with its fastest
 * run after the warm-up (preemption only ever adds time), summed per op type.
 *
 *   node bench/ort_op_profile.js MODEL.onnx INPUTS.npz [all|disabled] [--runs N]
 *
 * Prints the total and the op types by time. The profiler's JSON goes to the system temp folder.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { readNpz } = require(path.join(__dirname, '..', 'tests', 'oracle', 'npy'));

function die(msg) {
  process.stderr.write(`ort_op_profile: ${msg}\n`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  let runs = 30;
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = Number(args[++i]);
    else pos.push(args[i]);
  }
  const [model, inputs, opt = 'all'] = pos;
  if (!model || !inputs || !['all', 'disabled'].includes(opt) || !(runs > 0)) die('usage: MODEL INPUTS.npz [all|disabled] [--runs N]');
  const ort = require(path.join(__dirname, '..', 'tests', 'oracle', 'node_modules', 'onnxruntime-node'));
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ort-profile-')), 'profile');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], graphOptimizationLevel: opt, intraOpNumThreads: 1, interOpNumThreads: 1,
    executionMode: 'sequential', logSeverityLevel: 3, enableProfiling: true, profileFilePrefix: prefix,
  });
  const feeds = {};
  for (const [name, arr] of readNpz(fs.readFileSync(inputs), inputs)) feeds[name] = new ort.Tensor(arr.dtype, arr.data, arr.dims);
  const warmup = 5;
  for (let i = 0; i < warmup + runs; i++) await session.run(feeds);
  session.endProfiling();
  const dir = path.dirname(prefix);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  const events = JSON.parse(fs.readFileSync(path.join(dir, file)));
  const starts = events.filter((e) => e.name === 'model_run').map((e) => e.ts).sort((a, b) => a - b);
  const fastest = new Map();  // node -> {us, op}
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < starts[warmup]) continue;
    const seen = fastest.get(e.name);
    if (!seen || e.dur < seen.us) fastest.set(e.name, { us: e.dur, op: e.args.op_name });
  }
  const byOp = new Map();
  let total = 0;
  for (const { us, op } of fastest.values()) {
    const o = byOp.get(op) || { us: 0, nodes: 0 };
    o.us += us;
    o.nodes += 1;
    byOp.set(op, o);
    total += us;
  }
  console.log(`${path.basename(model)} (ORT optimizations ${opt}): ${(total / 1000).toFixed(3)} ms of kernel time`);
  for (const [op, o] of [...byOp].sort((a, b) => b[1].us - a[1].us))
    console.log(`  ${op.padEnd(28)} ${(o.us / 1000).toFixed(3)} ms  ${o.nodes} node(s)`);
}

main().catch((e) => die(e.message));
