#pragma once
// The JIT engine: LLVM ORC LLJIT compiling for the host CPU with its full feature set, every
// module optimized at O3 by the new pass manager before code generation. LLVM headers stay in
// backends/llvm; this header forward-declares what it needs.

#include <functional>
#include <memory>
#include <string>

#include "ir/diagnostic.h"

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
}  // namespace llvm

namespace kiln::llvmjit {

struct EngineOptions {
  /// Optimization level of the IR pipeline and the code generator (0..3).
  int optLevel = 3;
  /// Folder holding compiled objects keyed by a hash of the module; empty: no cache.
  std::string cacheDir;
  /// CPU to generate code for: empty or `host` (its name and full feature set), or an LLVM CPU
  /// name such as `x86-64-v3` (its features only), for objects written ahead of time.
  std::string cpu;
};

class JitEngine {
 public:
  /// An engine for the host: target triple, CPU name and features from the running machine.
  static Expected<std::unique_ptr<JitEngine>> create(const EngineOptions& options = {});
  ~JitEngine();

  /// The CPU name and feature string the code is generated for (`skylake-avx512`, `+avx2,...`).
  const std::string& cpuName() const;
  const std::string& cpuFeatures() const;
  /// Modules whose compiled object came from the cache folder.
  int cacheHits() const;

  /// Prepares `module` for this target: sets triple, data layout, and the CPU attributes of
  /// every function (the loop vectorizer reads them to pick the vector width).
  void configureModule(llvm::Module& module) const;

  /// Optimizes (O-level of the options) and compiles the module; its symbols become lookup-able.
  Status addModule(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> context);

  /// Address of a compiled function, or an error naming it.
  Expected<void*> lookup(const std::string& name);

  /// Runs the same O-level pipeline on `module` in place (for --emit llvm-ir).
  void optimize(llvm::Module& module) const;
  /// The module's assembly for this target (for --emit asm); optimizes first.
  Expected<std::string> emitAssembly(llvm::Module& module) const;
  /// A position-independent ELF object of the module for this target; optimizes first, then
  /// calls `afterOptimize` (if any) before code generation.
  Expected<std::string> emitObject(llvm::Module& module,
                                   const std::function<void(llvm::Module&)>& afterOptimize = {}) const;

 private:
  struct Impl;
  explicit JitEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::llvmjit
