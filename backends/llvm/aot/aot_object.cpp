// `kiln compile --emit obj|lib`: the JIT's kernel module plus, as constant data, the model
// image capi.cpp reads (model_image.h: graph as IR with large constants elided, one launch
// record per node, the kernel table, the weights), and the `<name>_*` forwarders. Kernels
// and tables are internal symbols, so several model objects can be linked together.

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <unordered_map>

#include "backends/llvm/aot/aot_compile.h"
#include "backends/llvm/aot/c_api_table.h"
#include "backends/llvm/aot_runtime/model_image.h"
#include "backends/llvm/constant_tensors.h"
#include "backends/llvm/jit_engine.h"
#include "backends/llvm/kernel_module.h"
#include "ir/model_clone.h"
#include "ir/parser.h"
#include "ir/printer.h"

namespace kiln::llvmjit {
namespace {

constexpr size_t kWeightAlignment = 64;

/// The graph as the library embeds it, and the bytes of every constant the text elides, in
/// visitConstantTensors order (what capi.cpp's bindWeights expects).
struct EmbeddedGraph {
  std::string text;
  std::string weights;
};

Expected<EmbeddedGraph> embedGraph(const Model& model, Graph& graph) {
  Model copy = modelWithGraph(model, graph.clone());
  copy.docString.clear();
  EmbeddedGraph out;
  out.text = printModel(copy, {.elideConstantsAbove = 16, .printLocations = false});
  auto parsed = parseModel(out.text, "<embedded IR>");
  if (!parsed) return Status::error("AOT: the model's IR does not read back: " + parsed.status().str());
  if (parsed->graph->nodes().size() != graph.nodes().size())
    return Status::error("AOT: the model's IR reads back with another node count");
  std::unordered_map<uint64_t, Tensor> byHash;
  visitConstantTensors(graph, [&](const Tensor& t) -> std::optional<Tensor> {
    if (t.hasData()) byHash.emplace(t.hash(), t);
    return std::nullopt;
  });
  Status status = Status::ok();
  visitConstantTensors(*parsed->graph, [&](const Tensor& t) -> std::optional<Tensor> {
    if (!status || !t.isElided()) return std::nullopt;
    auto it = byHash.find(t.hash());
    if (it == byHash.end() || it->second.dtype() == DType::String || !it->second.rawData()) {
      status = Status::error("AOT: a " + std::string(dtypeName(t.dtype())) +
                             " constant has no stored bytes (string constants are not supported)");
      return std::nullopt;
    }
    out.weights.resize((out.weights.size() + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment, '\0');
    out.weights.append(reinterpret_cast<const char*>(it->second.rawData()), it->second.byteSize());
    return std::nullopt;
  });
  if (!status) return status;
  return out;
}

llvm::Constant* bytesGlobal(llvm::Module& m, const std::string& name, std::string_view bytes, size_t align,
                            bool nulTerminated) {
  auto* init = llvm::ConstantDataArray::getString(m.getContext(), llvm::StringRef(bytes.data(), bytes.size()),
                                                  nulTerminated);
  auto* g = new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::InternalLinkage, init, name);
  g->setAlignment(llvm::Align(align));
  return g;
}

llvm::Type* machineType(llvm::LLVMContext& c, char code) {
  switch (code) {
    case 'i': return llvm::Type::getInt32Ty(c);
    case 'l':
    case 'z': return llvm::Type::getInt64Ty(c);
    case 'p': return llvm::PointerType::get(c, 0);
    default: return llvm::Type::getVoidTy(c);
  }
}

/// `<name>_<suffix>(args...)` = `kiln_aot_<suffix>(image, args...)` for every API function.
void emitForwarders(llvm::Module& m, const std::string& name, llvm::Constant* image) {
  llvm::LLVMContext& c = m.getContext();
  llvm::Type* ptr = llvm::PointerType::get(c, 0);
  for (const ApiFunction& f : apiFunctions()) {
    std::vector<llvm::Type*> params, runtimeParams{ptr};
    for (const char* p = f.params; *p; ++p) params.push_back(machineType(c, *p));
    runtimeParams.insert(runtimeParams.end(), params.begin(), params.end());
    llvm::Type* ret = machineType(c, f.ret[0]);
    auto callee = m.getOrInsertFunction(std::string("kiln_aot_") + f.suffix, llvm::FunctionType::get(ret, runtimeParams, false));
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(ret, params, false), llvm::GlobalValue::ExternalLinkage,
                                      name + "_" + f.suffix, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", fn));
    std::vector<llvm::Value*> args{image};
    for (llvm::Argument& a : fn->args()) args.push_back(&a);
    llvm::Value* r = b.CreateCall(callee, args);
    if (ret->isVoidTy()) b.CreateRetVoid();
    else b.CreateRet(r);
  }
}

}  // namespace

Expected<AotArtifacts> compileModelObject(const Model& model, const AotOptions& options) {
  if (!isValidApiName(options.name))
    return Status::error("--name '" + options.name + "' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)");
  auto graph = shapeInferredCopy(model);
  if (!graph) return graph.takeStatus();
  auto engine = JitEngine::create({.optLevel = options.optLevel, .cpu = options.targetCpu});
  if (!engine) return engine.takeStatus();

  llvm::LLVMContext context;
  llvm::Module module("kiln_aot_" + options.name, context);
  std::vector<Step> steps;
  JitStats stats;
  generateKernels(**graph, context, module, steps, stats);
  std::vector<std::string> kernelCode;  // kernels and GEMM drivers, as the JIT has them
  for (llvm::Function& f : module)
    if (!f.isDeclaration()) kernelCode.push_back(f.getName().str());

  auto embedded = embedGraph(model, **graph);
  if (!embedded) return embedded.takeStatus();

  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  llvm::PointerType* ptr = llvm::PointerType::get(context, 0);
  std::vector<int64_t> codes;
  std::vector<llvm::Constant*> kernels;
  for (const Step& s : steps) {
    if (s.kind == Step::Kind::Generated) {
      codes.push_back(1);
      s.launch->encode(codes);
      llvm::Function* f = module.getFunction(s.kernelName);
      if (!f) return Status::error("AOT: kernel " + s.kernelName + " is missing from the module");
      kernels.push_back(f);
    } else {
      codes.push_back(0);
      kernels.push_back(llvm::ConstantPointerNull::get(ptr));
    }
  }
  auto* codesInit = llvm::ConstantDataArray::get(context, llvm::ArrayRef<uint64_t>(
                                                              reinterpret_cast<const uint64_t*>(codes.data()), codes.size()));
  auto* codesGlobal = new llvm::GlobalVariable(module, codesInit->getType(), true, llvm::GlobalValue::InternalLinkage,
                                               codesInit, "kiln_launch_codes");
  auto* tableType = llvm::ArrayType::get(ptr, kernels.size());
  auto* table = new llvm::GlobalVariable(module, tableType, true, llvm::GlobalValue::InternalLinkage,
                                         llvm::ConstantArray::get(tableType, kernels), "kiln_kernel_table");
  llvm::Constant* weights = llvm::ConstantPointerNull::get(ptr);
  llvm::Constant* weightsFile = llvm::ConstantPointerNull::get(ptr);
  if (options.externalWeights) weightsFile = bytesGlobal(module, "kiln_weights_file", options.weightsFile, 1, true);
  else if (!embedded->weights.empty())
    weights = bytesGlobal(module, "kiln_weights", embedded->weights, kWeightAlignment, false);

  std::vector<llvm::Type*> fields = {i64, ptr, ptr, i64, ptr, i64, ptr, i64, ptr, i64, ptr};
  auto* imageType = llvm::StructType::create(context, fields, "KilnModelImage");
  llvm::Constant* image = llvm::ConstantStruct::get(
      imageType, {llvm::ConstantInt::get(i64, kKilnModelImageVersion), bytesGlobal(module, "kiln_model_name", options.name, 1, true),
                  bytesGlobal(module, "kiln_model_ir", embedded->text, 1, true),
                  llvm::ConstantInt::get(i64, embedded->text.size()), codesGlobal, llvm::ConstantInt::get(i64, codes.size()),
                  table, llvm::ConstantInt::get(i64, kernels.size()), weights,
                  llvm::ConstantInt::get(i64, embedded->weights.size()), weightsFile});
  auto* imageGlobal = new llvm::GlobalVariable(module, imageType, true, llvm::GlobalValue::InternalLinkage, image,
                                               "kiln_model_image");
  emitForwarders(module, options.name, imageGlobal);

  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(module, &os)) return Status::error("AOT: generated code does not verify: " + os.str());
  // Kernels and GEMM drivers are reached through the table only: internal symbols, so model
  // objects link together. Only after the optimization pipeline, which would otherwise inline
  // an internal GEMM driver into its one caller and generate other code than the JIT's.
  auto object = (*engine)->emitObject(module, [&](llvm::Module& m) {
    for (const std::string& name : kernelCode)
      if (llvm::Function* f = m.getFunction(name)) f->setLinkage(llvm::GlobalValue::InternalLinkage);
  });
  if (!object) return object.takeStatus();
  AotArtifacts out;
  out.object = object.take();
  out.weightBytes = embedded->weights.size();
  if (options.externalWeights) out.weights = std::move(embedded->weights);
  out.generatedKernels = stats.generatedKernels;
  out.fallbacks = stats.fallbacks.size();
  return out;
}

}  // namespace kiln::llvmjit
