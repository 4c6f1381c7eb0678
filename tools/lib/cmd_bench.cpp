// `kiln bench MODEL`: warm-up runs, then K timed runs; median, p90, p99 latency and
// throughput. --profile: time per step (kernel or fallback) and its share of the total.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "backends/llvm/runtime.h"
#include "backends/reference/interpreter.h"
#include "tools/lib/command.h"
#include "tools/lib/model_loader.h"
#include "tools/lib/run_inputs.h"

namespace kiln::tools {
namespace {

struct BenchOptions {
  std::string model, backend = "jit", cacheDir;
  std::vector<std::string> inputs, dims;
  uint64_t seed = 0;
  int threads = 1, iters = 20, warmup = 3;
  bool json = false, profile = false, stats = false;
};

double percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5));
  return sorted[i];
}

/// The fallbacks and the memory plan (what --stats shows).
void printStats(const llvmjit::JitStats& s) {
  std::printf("target        %s\n", s.cpu.c_str());
  std::printf("compile       %.3f s%s\n", s.compileSeconds, s.codeFromCache ? " (code from --cache-dir)" : "");
  std::printf("nodes         %zu (%zu generated kernels, %zu fallbacks)\n", s.nodes, s.generatedKernels,
              s.fallbacks.size());
  std::printf("arena         %s (%s without reuse)\n", formatBytes(s.arenaBytes).c_str(),
              formatBytes(s.unsharedBytes).c_str());
  for (const auto& f : s.fallbacks) std::printf("FALLBACK      '%s' (%s): %s\n", f.node.c_str(), f.op.c_str(), f.reason.c_str());
}

void printProfile(const std::vector<llvmjit::StepProfile>& steps) {
  double total = 0;
  for (const auto& s : steps) total += s.seconds;
  std::vector<const llvmjit::StepProfile*> order;
  for (const auto& s : steps) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->seconds > b->seconds; });
  std::printf("\n%-32s %-22s %-9s %12s %8s %14s %10s %10s\n", "node", "op", "code", "us/run", "share", "Melem/s",
              "GFLOP/s", "GB/s");
  for (const auto* s : order) {
    const double perRun = s->calls ? s->seconds / static_cast<double>(s->calls) : 0;
    std::printf("%-32.32s %-22.22s %-9s %12.1f %7.1f%% %14.1f %10.2f %10.2f\n", s->node.c_str(), s->op.c_str(),
                s->generated ? "jit" : s->control ? "control" : "FALLBACK", perRun * 1e6, total > 0 ? 100 * s->seconds / total : 0,
                perRun > 0 ? static_cast<double>(s->elements) / perRun / 1e6 : 0, perRun > 0 ? s->flops / perRun / 1e9 : 0,
                perRun > 0 ? s->bytes / perRun / 1e9 : 0);
  }
}

nlohmann::json profileJson(const std::vector<llvmjit::StepProfile>& steps) {
  double total = 0;
  for (const auto& s : steps) total += s.seconds;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : steps) {
    const double perRun = s.calls ? s.seconds / static_cast<double>(s.calls) : 0;
    out.push_back({{"node", s.node}, {"op", s.op}, {"generated", s.generated}, {"control", s.control}, {"us_per_run", perRun * 1e6},
                   {"share", total > 0 ? s.seconds / total : 0}, {"flops", s.flops}, {"bytes", s.bytes},
                   {"gflops_per_s", perRun > 0 ? s.flops / perRun / 1e9 : 0},
                   {"gbytes_per_s", perRun > 0 ? s.bytes / perRun / 1e9 : 0}});
  }
  return out;
}

}  // namespace

CommandAction addBenchCommand(CLI::App& app) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Time a model: warm-up runs, then median, p90 and p99 latency.");
  cmd->add_option("MODEL", opts->model, "Model file (.onnx or .kir)")->required();
  cmd->add_option("--backend", opts->backend, "jit (default) or reference")->check(CLI::IsMember({"jit", "reference"}));
  cmd->add_option("--threads", opts->threads, "Intra-op threads for the JIT (default 1)")->check(CLI::Range(1, 256));
  cmd->add_option("--iters", opts->iters, "Timed runs (default 20)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", opts->warmup, "Untimed runs first (default 3)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--input", opts->inputs, "NAME=FILE.npy or FILE.npz (default: generated inputs)");
  cmd->add_option("--dim", opts->dims, "Bind a symbolic dim for generated inputs, e.g. batch=4 (repeatable)");
  cmd->add_option("--seed", opts->seed, "Seed for generated inputs (default 0)");
  cmd->add_option("--cache-dir", opts->cacheDir, "Keep compiled JIT code here, keyed by the generated code and target");
  cmd->add_flag("--json", opts->json, "Print one JSON object");
  cmd->add_flag("--profile", opts->profile, "Time every kernel and fallback (JIT only)");
  cmd->add_flag("--stats", opts->stats, "Print compile statistics and every fallback (JIT only)");
  return [opts]() {
    auto model = loadModel(opts->model);
    if (!model) return reportError(model.status());
    auto dims = parseDimBindings(opts->dims);
    if (!dims) return reportError(dims.status());
    auto inputs = bindInputs(*model, {.files = opts->inputs, .dims = *dims, .seed = opts->seed});
    if (!inputs) return reportError(inputs.takeStatus().inFile(opts->model));

    std::unique_ptr<llvmjit::JitRuntime> jit;
    std::function<Status()> runOnce;
    if (opts->backend == "jit") {
      auto compiled = llvmjit::JitRuntime::compile(*model, {.threads = opts->threads, .cacheDir = opts->cacheDir, .profile = opts->profile});
      if (!compiled) return reportError(compiled.takeStatus().inFile(opts->model));
      jit = compiled.take();
      runOnce = [&]() -> Status {
        auto r = jit->run(*inputs);
        return r ? Status::ok() : r.takeStatus();
      };
    } else {
      runOnce = [&]() -> Status {
        auto r = reference::runModel(*model, *inputs);
        return r ? Status::ok() : r.takeStatus();
      };
    }
    for (int i = 0; i < opts->warmup; ++i)
      if (Status s = runOnce(); !s) return reportError(s.inFile(opts->model));
    if (jit) jit->resetProfile();
    std::vector<double> times;
    for (int i = 0; i < opts->iters; ++i) {
      const auto start = std::chrono::steady_clock::now();
      if (Status s = runOnce(); !s) return reportError(s.inFile(opts->model));
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const std::vector<double> inOrder = times;
    std::sort(times.begin(), times.end());
    const double median = percentile(times, 0.5), p90 = percentile(times, 0.9), p99 = percentile(times, 0.99);
    if (opts->json) {
      nlohmann::json out = {{"model", opts->model}, {"backend", opts->backend}, {"threads", opts->threads},
                            {"iters", opts->iters}, {"median_ms", median * 1e3}, {"p90_ms", p90 * 1e3},
                            {"p99_ms", p99 * 1e3}, {"min_ms", times.front() * 1e3}, {"max_ms", times.back() * 1e3},
                            {"q1_ms", percentile(times, 0.25) * 1e3}, {"q3_ms", percentile(times, 0.75) * 1e3},
                            {"runs_per_s", median > 0 ? 1 / median : 0}};
      out["times_ms"] = nlohmann::json::array();
      for (double t : inOrder) out["times_ms"].push_back(t * 1e3);
      if (jit) {
        const auto& s = jit->stats();
        out["generated_kernels"] = s.generatedKernels;
        out["fallbacks"] = nlohmann::json::array();
        for (const auto& f : s.fallbacks) out["fallbacks"].push_back({{"node", f.node}, {"op", f.op}, {"reason", f.reason}});
        out["compile_s"] = s.compileSeconds;
        out["code_from_cache"] = s.codeFromCache;
        out["arena_bytes"] = s.arenaBytes;
        if (opts->profile) out["profile"] = profileJson(jit->profile());
      }
      std::puts(out.dump(2).c_str());
      return static_cast<int>(kExitOk);
    }
    std::printf("%s  backend %s  threads %d  iters %d\n", opts->model.c_str(), opts->backend.c_str(), opts->threads,
                opts->iters);
    std::printf("median %.3f ms  p90 %.3f ms  p99 %.3f ms  throughput %.1f runs/s\n", median * 1e3, p90 * 1e3,
                p99 * 1e3, median > 0 ? 1 / median : 0);
    if (jit && (opts->stats || opts->profile)) printStats(jit->stats());
    if (jit && opts->profile) printProfile(jit->profile());
    return static_cast<int>(kExitOk);
  };
}

}  // namespace kiln::tools
