#!/usr/bin/env node
'use strict';
/**
 * Peer timing for bench/fusion_ort.py: ONNX Runtime (CPU) inference time of one model, printed as
 * JSON {"median_ms": M, "min_ms": m, "times_ms": [...]}. On a machine shared with other work a
 * run that outlasts its scheduler slice waits for the next one, so times are bimodal and the
 * minimum is the better estimate of the model's own cost; both are reported.
 *
 *   node bench/ort_infer_time.js MODEL.onnx INPUTS.npz [--threads N] [--opt all|disabled]
 *                                [--warmup W] [--iters K]
 */
const fs = require('fs');
const path = require('path');
const { readNpz } = require(path.join(__dirname, '..', 'tests', 'oracle', 'npy'));

function die(msg) {
  process.stderr.write(`ort_infer_time: ${msg}\n`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  const opts = { threads: 1, opt: 'all', warmup: 5, iters: 30, pos: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--threads') opts.threads = Number(args[++i]);
    else if (a === '--opt') opts.opt = args[++i];
    else if (a === '--warmup') opts.warmup = Number(args[++i]);
    else if (a === '--iters') opts.iters = Number(args[++i]);
    else if (a.startsWith('--')) die(`unknown option ${a}`);
    else opts.pos.push(a);
  }
  if (opts.pos.length !== 2 || !['all', 'disabled'].includes(opts.opt)) die('usage: MODEL INPUTS.npz [--threads N] [--opt all|disabled] [--warmup W] [--iters K]');
  const ort = require(path.join(__dirname, '..', 'tests', 'oracle', 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(opts.pos[0], {
    executionProviders: ['cpu'], graphOptimizationLevel: opts.opt, intraOpNumThreads: opts.threads,
    interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3,
  });
  const feeds = {};
  for (const [name, arr] of readNpz(fs.readFileSync(opts.pos[1]), opts.pos[1])) feeds[name] = new ort.Tensor(arr.dtype, arr.data, arr.dims);
  for (let i = 0; i < opts.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < opts.iters; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(JSON.stringify({ median_ms: sorted[Math.floor(sorted.length / 2)], min_ms: sorted[0], times_ms: times }));
}

main().catch((e) => die(e.message));
