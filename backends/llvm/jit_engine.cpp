#include "backends/llvm/jit_engine.h"

#include <unistd.h>

#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/SubtargetFeature.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <filesystem>
#include <mutex>

namespace kiln::llvmjit {
namespace {

std::string errorText(llvm::Error err) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << err;
  return os.str();
}

void initializeTargetsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

/// Compiled objects on disk, named by the module identifier (the runtime sets it to a hash of
/// the graph and the target), so a second process skips code generation.
class DiskObjectCache final : public llvm::ObjectCache {
 public:
  explicit DiskObjectCache(std::string dir) : dir_(std::move(dir)) {}

  void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef obj) override {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    const std::string path = pathFor(*m);
    // A name of this process's own: two processes caching the same module must not write
    // into one temporary file and rename a mix of both into place.
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
      llvm::raw_fd_ostream os(tmp, ec);
      if (ec) return;  // a cache that cannot write is only slower
      os << obj.getBuffer();
    }
    std::filesystem::rename(tmp, path, ec);
  }

  /// Whether an object for `m` is on disk (then its IR need not be optimized at all).
  bool has(const llvm::Module& m) const { return std::filesystem::exists(pathFor(m)); }
  int hits() const { return hits_; }

  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* m) override {
    auto buffer = llvm::MemoryBuffer::getFile(pathFor(*m));
    if (!buffer) return nullptr;
    ++hits_;
    return std::move(*buffer);
  }

 private:
  std::string pathFor(const llvm::Module& m) const { return dir_ + "/" + m.getModuleIdentifier() + ".o"; }
  std::string dir_;
  int hits_ = 0;
};

}  // namespace

struct JitEngine::Impl {
  EngineOptions options;
  std::string triple, cpu, features;
  std::unique_ptr<llvm::TargetMachine> tm;  // for the pass pipeline's cost model and --emit asm
  std::unique_ptr<DiskObjectCache> cache;
  std::unique_ptr<llvm::orc::LLJIT> jit;

  llvm::CodeGenOpt::Level codegenLevel() const {
    switch (options.optLevel) {
      case 0: return llvm::CodeGenOpt::None;
      case 1: return llvm::CodeGenOpt::Less;
      case 2: return llvm::CodeGenOpt::Default;
      default: return llvm::CodeGenOpt::Aggressive;
    }
  }

  void runPipeline(llvm::Module& m) const {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = options.optLevel >= 2;
    tuning.SLPVectorization = options.optLevel >= 2;
    tuning.LoopUnrolling = options.optLevel >= 2;
    llvm::PassBuilder pb(tm.get(), tuning);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::OptimizationLevel level = llvm::OptimizationLevel::O3;
    if (options.optLevel <= 0) level = llvm::OptimizationLevel::O0;
    else if (options.optLevel == 1) level = llvm::OptimizationLevel::O1;
    else if (options.optLevel == 2) level = llvm::OptimizationLevel::O2;
    llvm::ModulePassManager mpm = level == llvm::OptimizationLevel::O0
                                      ? pb.buildO0DefaultPipeline(level)
                                      : pb.buildPerModuleDefaultPipeline(level);
    mpm.run(m, mam);
  }
};

JitEngine::JitEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitEngine::~JitEngine() = default;

Expected<std::unique_ptr<JitEngine>> JitEngine::create(const EngineOptions& options) {
  initializeTargetsOnce();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->triple = llvm::sys::getProcessTriple();
  llvm::SubtargetFeatures features;
  if (options.cpu.empty() || options.cpu == "host") {
    impl->cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> hostFeatures;
    llvm::sys::getHostCPUFeatures(hostFeatures);
    for (const auto& f : hostFeatures) features.AddFeature(f.first(), f.second);
  } else {
    std::string error;
    const llvm::Target* target = llvm::TargetRegistry::lookupTarget(impl->triple, error);
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target ? target->createMCSubtargetInfo(impl->triple, options.cpu, "") : nullptr);
    if (!info || !info->isCPUStringValid(options.cpu))
      return Status::error("unknown target CPU '" + options.cpu + "' (try host, x86-64-v3, x86-64-v4, znver3...)");
    impl->cpu = options.cpu;
  }
  impl->features = features.getString();

  llvm::orc::JITTargetMachineBuilder jtmb{llvm::Triple(impl->triple)};
  jtmb.setCPU(impl->cpu);
  jtmb.addFeatures(features.getFeatures());
  jtmb.setCodeGenOptLevel(impl->codegenLevel());
  auto tm = jtmb.createTargetMachine();
  if (!tm) return Status::error("JIT: no target machine for " + impl->triple + ": " + errorText(tm.takeError()));
  impl->tm = std::move(*tm);

  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(jtmb);
  if (!options.cacheDir.empty()) {
    impl->cache = std::make_unique<DiskObjectCache>(options.cacheDir);
    DiskObjectCache* cache = impl->cache.get();
    builder.setCompileFunctionCreator(
        [cache](llvm::orc::JITTargetMachineBuilder b)
            -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
          auto machine = b.createTargetMachine();
          if (!machine) return machine.takeError();
          return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(std::move(*machine), cache);
        });
  }
  auto jit = builder.create();
  if (!jit) return Status::error("JIT: cannot create LLJIT: " + errorText(jit.takeError()));
  impl->jit = std::move(*jit);

  // Kernels call libm (expf, tanhf, erff...): resolve them from the running process.
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      impl->jit->getDataLayout().getGlobalPrefix());
  if (!generator) return Status::error("JIT: process symbols: " + errorText(generator.takeError()));
  impl->jit->getMainJITDylib().addGenerator(std::move(*generator));

  Impl* raw = impl.get();
  impl->jit->getIRTransformLayer().setTransform(
      [raw](llvm::orc::ThreadSafeModule tsm, const llvm::orc::MaterializationResponsibility&)
          -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        // A cached object replaces the optimized module wholesale: skip the pipeline.
        tsm.withModuleDo([raw](llvm::Module& m) {
          if (!raw->cache || !raw->cache->has(m)) raw->runPipeline(m);
        });
        return tsm;
      });
  return std::unique_ptr<JitEngine>(new JitEngine(std::move(impl)));
}

const std::string& JitEngine::cpuName() const { return impl_->cpu; }
int JitEngine::cacheHits() const { return impl_->cache ? impl_->cache->hits() : 0; }
const std::string& JitEngine::cpuFeatures() const { return impl_->features; }

void JitEngine::configureModule(llvm::Module& module) const {
  module.setTargetTriple(impl_->triple);
  module.setDataLayout(impl_->jit->getDataLayout());
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", impl_->cpu);
    f.addFnAttr("target-features", impl_->features);
  }
}

Status JitEngine::addModule(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> context) {
  configureModule(*module);
  llvm::orc::ThreadSafeModule tsm(std::move(module), std::move(context));
  if (llvm::Error err = impl_->jit->addIRModule(std::move(tsm)))
    return Status::error("JIT: cannot add module: " + errorText(std::move(err)));
  return Status::ok();
}

Expected<void*> JitEngine::lookup(const std::string& name) {
  auto symbol = impl_->jit->lookup(name);
  if (!symbol) return Status::error("JIT: symbol '" + name + "': " + errorText(symbol.takeError()));
  return symbol->toPtr<void*>();
}

void JitEngine::optimize(llvm::Module& module) const {
  configureModule(module);
  impl_->runPipeline(module);
}

Expected<std::string> JitEngine::emitAssembly(llvm::Module& module) const {
  optimize(module);
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream out(text);
  llvm::legacy::PassManager pm;
  if (impl_->tm->addPassesToEmitFile(pm, out, nullptr, llvm::CGFT_AssemblyFile))
    return Status::error("JIT: the target cannot emit assembly");
  pm.run(module);
  return std::string(text.str());
}

Expected<std::string> JitEngine::emitObject(llvm::Module& module,
                                            const std::function<void(llvm::Module&)>& afterOptimize) const {
  optimize(module);
  if (afterOptimize) afterOptimize(module);
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(impl_->triple, error);
  if (!target) return Status::error("AOT: no target for " + impl_->triple + ": " + error);
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      impl_->triple, impl_->cpu, impl_->features, llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
      impl_->codegenLevel()));
  if (!tm) return Status::error("AOT: no target machine for " + impl_->cpu);
  llvm::SmallString<0> bytes;
  llvm::raw_svector_ostream out(bytes);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out, nullptr, llvm::CGFT_ObjectFile))
    return Status::error("AOT: the target cannot emit objects");
  pm.run(module);
  return std::string(bytes.str());
}

}  // namespace kiln::llvmjit
