#pragma once
// A small self-contained JIT for the emitted GEMM, its tests and its benchmark: compiles a
// module with LLVM's ORC LLJIT for the host CPU (all its features) at O3. No LLVM types here.

#include "backends/llvm/gemm/gemm_codegen.h"
#include "ir/diagnostic.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace kiln::llvmgemm {

/// The emitted driver; see gemm_codegen.h for the meaning of each argument.
using GemmFn = void (*)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                        int64_t ldb, float* c, int64_t ldc, float alpha, float beta, const float* bias,
                        int64_t rowBegin, int64_t rowEnd, int64_t colBegin, int64_t colEnd,
                        float* workspace);
/// The emitted pack-B function: packs a K x N (or, transposed, N x K) B for a prepackedB driver.
using PackBFn = void (*)(int64_t n, int64_t k, const float* b, int64_t ldb, float* packed);

/// Owns one JIT session holding one optimized module.
class JitCode {
 public:
  /// Creates a module for the host, lets `emit` fill it, runs the O3 pipeline and compiles.
  static Expected<std::unique_ptr<JitCode>> build(const std::function<void(llvm::Module&)>& emit);
  /// Assembly the host target generates for the module `emit` fills (after O3), for inspection.
  static Expected<std::string> assembly(const std::function<void(llvm::Module&)>& emit);
  ~JitCode();
  /// Address of an exported function, or nullptr.
  void* lookup(const std::string& name) const;

 private:
  struct Impl;
  explicit JitCode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A compiled driver plus its pack-B function (named config.name + "_pack_b").
struct CompiledGemm {
  std::unique_ptr<JitCode> code;
  GemmConfig config;
  GemmFn run = nullptr;
  PackBFn packB = nullptr;
};

Expected<CompiledGemm> compileGemm(const GemmConfig& config);

}  // namespace kiln::llvmgemm
