// LLJIT for the host: detect CPU and features, optimize at O3 with that target machine, compile.

#include "backends/llvm/gemm/gemm_jit.h"

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <mutex>

namespace kiln::llvmgemm {
namespace {

Status llvmError(llvm::Error error, const std::string& what) {
  return Status::error(what + ": " + llvm::toString(std::move(error)));
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

llvm::orc::JITTargetMachineBuilder hostMachineBuilder() {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  // detectHost only fails for an unknown triple, which InitializeNativeTarget rules out.
  builder->setCodeGenOptLevel(llvm::CodeGenOpt::Aggressive);
  return std::move(*builder);
}

/// Fills a fresh module for `machine`, verifies it and runs the O3 pipeline.
Expected<std::unique_ptr<llvm::Module>> buildModule(llvm::LLVMContext& ctx, llvm::TargetMachine& machine,
                                                    const std::function<void(llvm::Module&)>& emit) {
  auto module = std::make_unique<llvm::Module>("kiln_gemm", ctx);
  module->setTargetTriple(machine.getTargetTriple().str());
  module->setDataLayout(machine.createDataLayout());
  emit(*module);
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*module, &os)) return Status::error("emitted GEMM IR is invalid: " + os.str());

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder passBuilder(&machine);
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  passBuilder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(*module, mam);
  return module;
}

}  // namespace

struct JitCode::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

JitCode::JitCode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitCode::~JitCode() = default;

Expected<std::unique_ptr<JitCode>> JitCode::build(const std::function<void(llvm::Module&)>& emit) {
  initializeNativeTarget();
  llvm::orc::JITTargetMachineBuilder machineBuilder = hostMachineBuilder();
  auto machine = machineBuilder.createTargetMachine();
  if (!machine) return llvmError(machine.takeError(), "cannot create the host target machine");
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto module = buildModule(*ctx, **machine, emit);
  if (!module) return module.takeStatus();

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(machineBuilder)).create();
  if (!jit) return llvmError(jit.takeError(), "cannot create the JIT");
  if (auto error = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(*module), std::move(ctx))))
    return llvmError(std::move(error), "cannot add the GEMM module to the JIT");
  auto impl = std::make_unique<Impl>();
  impl->jit = std::move(*jit);
  return std::unique_ptr<JitCode>(new JitCode(std::move(impl)));
}

Expected<std::string> JitCode::assembly(const std::function<void(llvm::Module&)>& emit) {
  initializeNativeTarget();
  auto machine = hostMachineBuilder().createTargetMachine();
  if (!machine) return llvmError(machine.takeError(), "cannot create the host target machine");
  llvm::LLVMContext ctx;
  auto module = buildModule(ctx, **machine, emit);
  if (!module) return module.takeStatus();
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream os(text);
  llvm::legacy::PassManager passes;
  if ((*machine)->addPassesToEmitFile(passes, os, nullptr, llvm::CGFT_AssemblyFile))
    return Status::error("the host target cannot emit assembly");
  passes.run(**module);
  return std::string(text.str());
}

void* JitCode::lookup(const std::string& name) const {
  auto symbol = impl_->jit->lookup(name);
  if (!symbol) {
    llvm::consumeError(symbol.takeError());
    return nullptr;
  }
  return symbol->toPtr<void*>();
}

Expected<CompiledGemm> compileGemm(const GemmConfig& config) {
  const std::string packName = config.name + "_pack_b";
  auto code = JitCode::build([&](llvm::Module& module) {
    emitGemmKernel(module, config);
    emitPackBFunction(module, config, packName);
  });
  if (!code) return code.takeStatus();
  CompiledGemm compiled;
  compiled.code = std::move(*code);
  compiled.config = config;
  compiled.run = reinterpret_cast<GemmFn>(compiled.code->lookup(config.name));
  compiled.packB = reinterpret_cast<PackBFn>(compiled.code->lookup(packName));
  if (!compiled.run || !compiled.packB) return Status::error("JIT lookup of '" + config.name + "' failed");
  return compiled;
}

}  // namespace kiln::llvmgemm
