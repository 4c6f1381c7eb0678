// LSTM, GRU and RNN as one kernel per node, one iteration per direction (the thread pool runs
// the two directions of a bidirectional node side by side). Per direction:
//   1. W and R transposed once into the workspace, so every product below runs on the same
//      plain GEMM driver as MatMul (one driver per module to compile);
//   2. the input projection of every time step, X * W^T, as one call of the emitted GEMM
//      (X's rows are (t, b) in layout 0 and (b, t) in layout 1: either way one matrix);
//   3. per time step the recurrent GEMM H * R^T over the batch rows, then per active batch
//      row the gate kernel: an emitted loop over the hidden units (vectorizable: noalias rows,
//      activations from llvm.exp) that adds the biases, applies the activations and updates h
//      (and c) in place.
// GRU with linear_before_reset = 0 needs r before its candidate GEMM: the step runs the z/r
// columns, a reset kernel writing r * h, then (r * h) * R_h^T, then the gate kernel.
// Batch rows past their sequence_lens entry keep their state; their Y rows stay zero.
// Semantics are those of the reference kernel (backends/reference/rnn.cpp).

#include "backends/llvm/codegen_table.h"
#include "backends/llvm/gemm_call.h"
#include "backends/llvm/launches.h"
#include "backends/reference/recurrent_activation.h"

#include <llvm/IR/Intrinsics.h>

namespace kiln::llvmjit {
namespace {

using reference::RecurrentActivation;

enum Input : size_t { kX, kW, kR, kB, kSeqLens, kInitialH, kInitialC, kPeepholes };

bool isF32(const Value* v) { return v && v->type().isTensor() && v->dtype() == DType::Float32; }

/// The recurrence fixed at code-generation time.
struct Cell {
  std::string op;
  int64_t gates = 1;
  bool lbr = false;          ///< GRU linear_before_reset
  bool inputForget = false;  ///< LSTM
  bool peepholes = false;
  bool hasC = false;  ///< LSTM cell state
  bool bias = false;  ///< B given
  std::optional<float> clip;
};

/// One activation as IR on a float.
llvm::Value* activate(CodegenContext& cg, const RecurrentActivation& a, llvm::Value* x) {
  auto& b = cg.builder();
  auto c = [&](float v) { return llvm::ConstantFP::get(b.getFloatTy(), v); };
  auto exp = [&](llvm::Value* v) { return b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, v); };
  auto sigmoid = [&](llvm::Value* v) { return b.CreateFDiv(c(1), b.CreateFAdd(c(1), exp(b.CreateFNeg(v)))); };
  // tanh(v) = 2 sigmoid(2v) - 1 = 1 - 2 / (exp(2v) + 1): exp only, so the loop vectorizes;
  // saturates to +-1 at both ends, absolute error ~1e-7 near 0.
  auto tanh = [&](llvm::Value* v) {
    return b.CreateFSub(c(1), b.CreateFDiv(c(2), b.CreateFAdd(exp(b.CreateFMul(c(2), v)), c(1))));
  };
  auto maxf = [&](llvm::Value* p, llvm::Value* q) { return b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum, p, q); };
  auto minf = [&](llvm::Value* p, llvm::Value* q) { return b.CreateBinaryIntrinsic(llvm::Intrinsic::minnum, p, q); };
  const std::string& n = a.name;
  if (n == "sigmoid") return sigmoid(x);
  if (n == "tanh") return tanh(x);
  if (n == "relu") return maxf(x, c(0));
  if (n == "affine") return b.CreateFAdd(b.CreateFMul(c(a.alpha), x), c(a.beta));
  if (n == "leakyrelu") return b.CreateSelect(b.CreateFCmpOGE(x, c(0)), x, b.CreateFMul(c(a.alpha), x));
  if (n == "thresholdedrelu") return b.CreateSelect(b.CreateFCmpOGT(x, c(a.alpha)), x, c(0));
  if (n == "scaledtanh") return b.CreateFMul(c(a.alpha), tanh(b.CreateFMul(c(a.beta), x)));
  if (n == "hardsigmoid") return minf(maxf(b.CreateFAdd(b.CreateFMul(c(a.alpha), x), c(a.beta)), c(0)), c(1));
  if (n == "elu") return b.CreateSelect(b.CreateFCmpOGE(x, c(0)), x, b.CreateFMul(c(a.alpha), b.CreateFSub(exp(x), c(1))));
  if (n == "softsign")
    return b.CreateFDiv(x, b.CreateFAdd(c(1), b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x)));
  // softplus: max(x, 0) + log(1 + exp(-|x|)) (no overflow for large x)
  llvm::Value* t = exp(b.CreateFNeg(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x)));
  return b.CreateFAdd(maxf(x, c(0)), b.CreateUnaryIntrinsic(llvm::Intrinsic::log, b.CreateFAdd(c(1), t)));
}

/// Starts an internal function `void name(ptr... noalias, i64 hidden)` looping over the
/// hidden units; `body(args, j)` emits one unit.
llvm::Function* emitRowLoop(CodegenContext& cg, const std::string& name, size_t pointers,
                            const std::function<void(const std::vector<llvm::Value*>&, llvm::Value*)>& body) {
  auto& b = cg.builder();
  std::vector<llvm::Type*> params(pointers, b.getPtrTy());
  params.push_back(b.getInt64Ty());
  auto* fn = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), params, false),
                                    llvm::Function::InternalLinkage, name, cg.module());
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  for (unsigned i = 0; i < pointers; ++i) fn->addParamAttr(i, llvm::Attribute::NoAlias);
  llvm::IRBuilderBase::InsertPointGuard guard(b);
  b.SetInsertPoint(llvm::BasicBlock::Create(cg.context(), "entry", fn));
  std::vector<llvm::Value*> args;
  for (unsigned i = 0; i < pointers; ++i) args.push_back(fn->getArg(i));
  cg.forLoop(cg.i64(0), fn->getArg(static_cast<unsigned>(pointers)), [&](llvm::Value* j) { body(args, j); }, "unit");
  b.CreateRetVoid();
  return fn;
}

/// The gate kernel of one direction: gate(xw row, hr row, h row, c row, peepholes, Wb, Rb,
/// hidden). xw and hr hold the gates' products side by side, ONNX gate order.
llvm::Function* emitGateKernel(CodegenContext& cg, const Cell& cell, const RecurrentActivation* act,
                               const std::string& name) {
  return emitRowLoop(cg, name, 7, [&](const std::vector<llvm::Value*>& a, llvm::Value* j) {
    auto& b = cg.builder();
    llvm::Value *xw = a[0], *hr = a[1], *h = a[2], *c = a[3], *p = a[4], *wb = a[5], *rb = a[6];
    llvm::Type* f32 = b.getFloatTy();
    llvm::Value* hidden = b.GetInsertBlock()->getParent()->getArg(7);
    auto at = [&](llvm::Value* base, int64_t gate) {
      return b.CreateInBoundsGEP(f32, base, b.CreateNSWAdd(b.CreateNSWMul(hidden, cg.i64(gate)), j));
    };
    auto load = [&](llvm::Value* base, int64_t gate) -> llvm::Value* { return b.CreateLoad(f32, at(base, gate)); };
    auto clipped = [&](llvm::Value* v) -> llvm::Value* {
      if (!cell.clip) return v;
      llvm::Value* lo = llvm::ConstantFP::get(f32, -*cell.clip);
      llvm::Value* hi = llvm::ConstantFP::get(f32, *cell.clip);
      return b.CreateBinaryIntrinsic(llvm::Intrinsic::minnum, b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum, v, lo), hi);
    };
    // X w + Wb and h R + Rb of one gate.
    auto xPart = [&](int64_t gate) { return cell.bias ? b.CreateFAdd(load(xw, gate), load(wb, gate)) : load(xw, gate); };
    auto hPart = [&](int64_t gate) { return cell.bias ? b.CreateFAdd(load(hr, gate), load(rb, gate)) : load(hr, gate); };
    auto pre = [&](int64_t gate) { return b.CreateFAdd(xPart(gate), hPart(gate)); };
    llvm::Value* one = llvm::ConstantFP::get(f32, 1.0);
    if (cell.op == "LSTM") {  // gates i, o, f, c; peepholes i, o, f
      llvm::Value* cPrev = load(c, 0);
      auto peep = [&](llvm::Value* v, int64_t k, llvm::Value* state) {
        return cell.peepholes ? b.CreateFAdd(v, b.CreateFMul(load(p, k), state)) : v;
      };
      llvm::Value* it = activate(cg, act[0], clipped(peep(pre(0), 0, cPrev)));
      llvm::Value* ft = cell.inputForget ? b.CreateFSub(one, it) : activate(cg, act[0], clipped(peep(pre(2), 2, cPrev)));
      llvm::Value* ct = activate(cg, act[1], clipped(pre(3)));
      llvm::Value* cNew = b.CreateFAdd(b.CreateFMul(ft, cPrev), b.CreateFMul(it, ct));
      llvm::Value* ot = activate(cg, act[0], clipped(peep(pre(1), 1, cNew)));
      b.CreateStore(cNew, at(c, 0));
      b.CreateStore(b.CreateFMul(ot, activate(cg, act[2], cNew)), at(h, 0));
    } else if (cell.op == "GRU") {  // gates z, r, h
      llvm::Value* zt = activate(cg, act[0], clipped(pre(0)));
      llvm::Value* candidate;
      if (cell.lbr) {
        llvm::Value* rt = activate(cg, act[0], clipped(pre(1)));
        candidate = b.CreateFAdd(xPart(2), b.CreateFMul(rt, hPart(2)));
      } else {
        candidate = pre(2);  // hr's h columns hold (r * h) R_h^T
      }
      llvm::Value* ht = activate(cg, act[1], clipped(candidate));
      llvm::Value* hPrev = load(h, 0);
      b.CreateStore(b.CreateFAdd(b.CreateFMul(b.CreateFSub(one, zt), ht), b.CreateFMul(zt, hPrev)), at(h, 0));
    } else {
      b.CreateStore(activate(cg, act[0], clipped(pre(0))), at(h, 0));
    }
  });
}

/// GRU (linear_before_reset = 0): reset(xw row, hr row, h row, rh row, unused, Wb, Rb, hidden)
/// writes r * h, the left operand of the candidate's recurrent GEMM.
llvm::Function* emitResetKernel(CodegenContext& cg, const Cell& cell, const RecurrentActivation* act,
                                const std::string& name) {
  return emitRowLoop(cg, name, 7, [&](const std::vector<llvm::Value*>& a, llvm::Value* j) {
    auto& b = cg.builder();
    llvm::Type* f32 = b.getFloatTy();
    llvm::Value* hidden = b.GetInsertBlock()->getParent()->getArg(7);
    llvm::Value* r = b.CreateNSWAdd(hidden, j);
    auto load = [&](size_t operand) -> llvm::Value* { return b.CreateLoad(f32, b.CreateInBoundsGEP(f32, a[operand], r)); };
    llvm::Value* v = b.CreateFAdd(load(0), load(1));
    if (cell.bias) v = b.CreateFAdd(v, b.CreateFAdd(load(5), load(6)));
    if (cell.clip) {
      v = b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum, v, llvm::ConstantFP::get(f32, -*cell.clip));
      v = b.CreateBinaryIntrinsic(llvm::Intrinsic::minnum, v, llvm::ConstantFP::get(f32, *cell.clip));
    }
    llvm::Value* rt = activate(cg, act[0], v);
    llvm::Value* h = b.CreateLoad(f32, b.CreateInBoundsGEP(f32, a[2], j));
    b.CreateStore(b.CreateFMul(rt, h), b.CreateInBoundsGEP(f32, a[3], j));
  });
}

bool present(const Node& node, size_t i) { return node.input(i) != nullptr; }
bool hasOutput(const Node& node, size_t k) { return k < node.numOutputs() && node.output(k) != nullptr; }

}  // namespace

std::unique_ptr<KernelLaunch> emitRecurrent(CodegenContext& cg, const Node& node, const std::string& name,
                                            std::string* whyNot) {
  Cell cell;
  cell.op = node.opType();
  cell.gates = cell.op == "LSTM" ? 4 : cell.op == "GRU" ? 3 : 1;
  cell.hasC = cell.op == "LSTM";
  const size_t perDir = cell.op == "LSTM" ? 3 : cell.op == "GRU" ? 2 : 1;
  for (size_t i : {kX, kW, kR, kB, kInitialH, kInitialC, kPeepholes}) {
    if (i >= node.numInputs() || !present(node, i) || ((i == kInitialC || i == kPeepholes) && !cell.hasC)) continue;
    if (!isF32(node.input(i)) || !node.input(i)->shape().isRanked()) {
      *whyNot = "only f32 operands of known rank are generated";
      return nullptr;
    }
  }
  if (node.numInputs() < 3 || !present(node, kX) || !present(node, kW) || !present(node, kR) ||
      node.input(kX)->shape().rank() != 3) {
    *whyNot = "X, W and R must be 3-D";
    return nullptr;
  }
  const bool hasLens = present(node, kSeqLens);
  const DType lensType = hasLens ? node.input(kSeqLens)->dtype() : DType::Int32;
  if (lensType != DType::Int32 && lensType != DType::Int64) {
    *whyNot = "sequence_lens must be int32 or int64";
    return nullptr;
  }
  const std::string direction = node.stringAttr("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    *whyNot = "unknown direction '" + direction + "'";
    return nullptr;
  }
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  auto acts = reference::readRecurrentActivations(node, perDir, dirs);
  if (!acts) {
    *whyNot = acts.status().diagnostic().message;
    return nullptr;
  }
  const bool layout1 = node.intAttr("layout", 0) != 0;
  if (node.attr("clip") && node.floatAttr("clip", 0.f) > 0) cell.clip = node.floatAttr("clip", 0.f);
  cell.lbr = cell.op == "GRU" && node.intAttr("linear_before_reset", 0) != 0;
  cell.inputForget = cell.hasC && node.intAttr("input_forget", 0) != 0;
  cell.peepholes = cell.hasC && present(node, kPeepholes);
  const bool hasBias = present(node, kB);
  cell.bias = hasBias;
  const bool hasH0 = present(node, kInitialH), hasC0 = cell.hasC && present(node, kInitialC);
  const bool hasY = hasOutput(node, 0), hasYh = hasOutput(node, 1), hasYc = cell.hasC && hasOutput(node, 2);

  llvm::Function* driver = sharedGemmDriver(cg, llvmgemm::GemmConfig{});
  std::vector<llvm::Function*> gate, reset;
  for (int64_t d = 0; d < dirs; ++d) {
    const RecurrentActivation* act = acts->data() + d * static_cast<int64_t>(perDir);
    gate.push_back(emitGateKernel(cg, cell, act, name + ".gate" + std::to_string(d)));
    if (cell.op == "GRU" && !cell.lbr) reset.push_back(emitResetKernel(cg, cell, act, name + ".reset" + std::to_string(d)));
  }

  auto& b = cg.builder();
  const size_t inputs = node.numInputs();
  KernelBody k = cg.beginKernel(name, inputs + node.numOutputs(), 4);
  llvm::Value *seq = k.dims[0], *batch = k.dims[1], *inputSize = k.dims[2], *hidden = k.dims[3];
  auto buffer = [&](size_t i) { return i < inputs ? k.buffers[i] : nullptr; };
  llvm::Value* out[3] = {nullptr, nullptr, nullptr};
  for (size_t o = 0; o < node.numOutputs() && o < 3; ++o) out[o] = k.buffers[inputs + o];
  llvm::Value* gh = b.CreateNSWMul(hidden, cg.i64(cell.gates));
  llvm::Value* bh = b.CreateNSWMul(batch, hidden);
  llvm::Value* zero = llvm::ConstantFP::get(b.getFloatTy(), 0.0);
  llvm::Value* dirsV = cg.i64(dirs);
  // Row of (t, b) in X and in the projection; index of (d, b) in the state tensors; of (t, d, b) in Y.
  auto xRow = [&](llvm::Value* t, llvm::Value* bi) {
    return layout1 ? b.CreateNSWAdd(b.CreateNSWMul(bi, seq), t) : b.CreateNSWAdd(b.CreateNSWMul(t, batch), bi);
  };
  auto stateRow = [&](llvm::Value* d, llvm::Value* bi) {
    return layout1 ? b.CreateNSWAdd(b.CreateNSWMul(bi, dirsV), d) : b.CreateNSWAdd(b.CreateNSWMul(d, batch), bi);
  };
  auto yRow = [&](llvm::Value* t, llvm::Value* d, llvm::Value* bi) {
    return layout1 ? b.CreateNSWAdd(b.CreateNSWMul(b.CreateNSWAdd(b.CreateNSWMul(bi, seq), t), dirsV), d)
                   : b.CreateNSWAdd(b.CreateNSWMul(b.CreateNSWAdd(b.CreateNSWMul(t, dirsV), d), batch), bi);
  };
  auto copyRow = [&](llvm::Value* from, llvm::Value* to) {
    cg.forLoop(cg.i64(0), hidden, [&](llvm::Value* j) {
      cg.storeElement(cg.loadElement(from, j, DType::Float32), to, j, DType::Float32);
    }, "copy");
  };

  cg.forLoop(k.begin, k.end, [&](llvm::Value* d) {
    // Workspace: projection [seq*batch, G*H], hr [batch, G*H], h, c, r*h [batch, H], W^T
    // [input, G*H], R^T [H, G*H], the GEMM's.
    llvm::Value* projection = b.CreateNSWMul(b.CreateNSWMul(seq, batch), gh);
    llvm::Value* hrSize = b.CreateNSWMul(batch, gh);
    llvm::Value* wSize = b.CreateNSWMul(inputSize, gh);
    llvm::Value* total = b.CreateNSWAdd(b.CreateNSWAdd(projection, hrSize), b.CreateNSWMul(bh, cg.i64(3)));
    total = b.CreateNSWAdd(total, b.CreateNSWAdd(wSize, b.CreateNSWMul(hidden, gh)));
    llvm::Value* ws = mallocFloats(cg, b.CreateNSWAdd(total, cg.i64(llvmgemm::gemmWorkspaceFloats(hostTiling()))));
    llvm::Value* xw = ws;
    llvm::Value* hr = floatPointer(cg, ws, projection);
    llvm::Value* h = floatPointer(cg, hr, hrSize);
    llvm::Value* c = floatPointer(cg, h, bh);
    llvm::Value* rh = floatPointer(cg, c, bh);
    llvm::Value* wT = floatPointer(cg, rh, bh);
    llvm::Value* rT = floatPointer(cg, wT, wSize);
    llvm::Value* gemmWs = floatPointer(cg, rT, b.CreateNSWMul(hidden, gh));
    llvm::Value* wd = floatPointer(cg, buffer(kW), b.CreateNSWMul(d, b.CreateNSWMul(gh, inputSize)));
    llvm::Value* rd = floatPointer(cg, buffer(kR), b.CreateNSWMul(d, b.CreateNSWMul(gh, hidden)));
    llvm::Value* wb = hasBias ? floatPointer(cg, buffer(kB), b.CreateNSWMul(d, b.CreateNSWMul(gh, cg.i64(2)))) : nullptr;
    llvm::Value* rb = hasBias ? floatPointer(cg, wb, gh) : nullptr;
    llvm::Value* noBias = llvm::ConstantPointerNull::get(b.getPtrTy());
    if (!hasBias) wb = rb = noBias;
    // W^T and R^T: [columns, G*H] from [G*H, columns].
    auto transpose = [&](llvm::Value* from, llvm::Value* columns, llvm::Value* to) {
      cg.forLoop(cg.i64(0), gh, [&](llvm::Value* g) {
        cg.forLoop(cg.i64(0), columns, [&](llvm::Value* i) {
          llvm::Value* v = cg.loadElement(from, b.CreateNSWAdd(b.CreateNSWMul(g, columns), i), DType::Float32);
          cg.storeElement(v, to, b.CreateNSWAdd(b.CreateNSWMul(i, gh), g), DType::Float32);
        }, "col");
      }, "gate");
    };
    transpose(wd, inputSize, wT);
    transpose(rd, hidden, rT);
    llvm::Value* pd = cell.peepholes ? floatPointer(cg, buffer(kPeepholes), b.CreateNSWMul(d, b.CreateNSWMul(hidden, cg.i64(3))))
                                     : llvm::ConstantPointerNull::get(b.getPtrTy());

    // 1. Input projection of all time steps.
    llvm::Value* rows = b.CreateNSWMul(seq, batch);
    callGemm(cg, driver, {rows, gh, inputSize, buffer(kX), inputSize, wT, gh, xw, gh}, gemmWs);

    // Initial state (zeros where omitted), and zeros in this direction's Y when rows may end early.
    cg.forLoop(cg.i64(0), batch, [&](llvm::Value* bi) {
      llvm::Value* row = b.CreateNSWMul(stateRow(d, bi), hidden);
      cg.forLoop(cg.i64(0), hidden, [&](llvm::Value* j) {
        llvm::Value* at = b.CreateNSWAdd(b.CreateNSWMul(bi, hidden), j);
        llvm::Value* from = b.CreateNSWAdd(row, j);
        cg.storeElement(hasH0 ? cg.loadElement(buffer(kInitialH), from, DType::Float32) : zero, h, at, DType::Float32);
        cg.storeElement(hasC0 ? cg.loadElement(buffer(kInitialC), from, DType::Float32) : zero, c, at, DType::Float32);
        cg.storeElement(zero, rh, at, DType::Float32);
      }, "init");
      if (hasY && hasLens)
        cg.forLoop(cg.i64(0), seq, [&](llvm::Value* t) {
          llvm::Value* y = floatPointer(cg, out[0], b.CreateNSWMul(yRow(t, d, bi), hidden));
          cg.forLoop(cg.i64(0), hidden, [&](llvm::Value* j) { cg.storeElement(zero, y, j, DType::Float32); }, "zero");
        }, "t");
    }, "b");

    // Each direction's gate kernel (they differ when the activations do).
    auto callPerDirection = [&](const std::vector<llvm::Function*>& fns, std::vector<llvm::Value*> args) {
      llvm::Value* fn = fns[0];
      if (fns.size() > 1) fn = b.CreateSelect(b.CreateICmpEQ(d, cg.i64(0)), fns[0], fns[1]);
      b.CreateCall(fns[0]->getFunctionType(), fn, args);
    };
    // Length of batch row bi (clamped to [0, seq]).
    auto lengthOf = [&](llvm::Value* bi) -> llvm::Value* {
      if (!hasLens) return seq;
      llvm::Value* len = cg.loadElement(buffer(kSeqLens), bi, lensType);
      if (lensType == DType::Int32) len = b.CreateSExt(len, b.getInt64Ty());
      len = b.CreateSelect(b.CreateICmpSLT(len, cg.i64(0)), cg.i64(0), len);
      return b.CreateSelect(b.CreateICmpSGT(len, seq), seq, len);
    };
    // Runs `body(bi, t)` for the batch rows still inside their sequence at step s.
    auto forActiveRows = [&](llvm::Value* s, const std::function<void(llvm::Value*, llvm::Value*)>& body) {
      cg.forLoop(cg.i64(0), batch, [&](llvm::Value* bi) {
        llvm::Value* len = lengthOf(bi);
        llvm::Function* fn = b.GetInsertBlock()->getParent();
        auto* active = llvm::BasicBlock::Create(cg.context(), "active", fn);
        auto* next = llvm::BasicBlock::Create(cg.context(), "next", fn);
        b.CreateCondBr(b.CreateICmpSLT(s, len), active, next);
        b.SetInsertPoint(active);
        llvm::Value* reverse = direction == "reverse" ? b.getTrue() : b.CreateICmpEQ(d, cg.i64(1));
        llvm::Value* t = b.CreateSelect(reverse, b.CreateNSWSub(b.CreateNSWSub(len, cg.i64(1)), s), s);
        body(bi, t);
        b.CreateBr(next);
        b.SetInsertPoint(next);
      }, "row");
    };

    // 2. The time steps.
    cg.forLoop(cg.i64(0), seq, [&](llvm::Value* s) {
      const bool split = cell.op == "GRU" && !cell.lbr;
      llvm::Value* firstCols = split ? b.CreateNSWMul(hidden, cg.i64(2)) : gh;
      callGemm(cg, driver, {batch, firstCols, hidden, h, hidden, rT, gh, hr, gh}, gemmWs);
      if (split) {
        forActiveRows(s, [&](llvm::Value* bi, llvm::Value* t) {
          callPerDirection(reset, {floatPointer(cg, xw, b.CreateNSWMul(xRow(t, bi), gh)),
                                   floatPointer(cg, hr, b.CreateNSWMul(bi, gh)), floatPointer(cg, h, b.CreateNSWMul(bi, hidden)),
                                   floatPointer(cg, rh, b.CreateNSWMul(bi, hidden)), pd, wb, rb, hidden});
        });
        llvm::Value* twoH = b.CreateNSWMul(hidden, cg.i64(2));
        callGemm(cg, driver,
                 {batch, hidden, hidden, rh, hidden, floatPointer(cg, rT, twoH), gh, floatPointer(cg, hr, twoH), gh},
                 gemmWs);
      }
      forActiveRows(s, [&](llvm::Value* bi, llvm::Value* t) {
        llvm::Value* hRow = floatPointer(cg, h, b.CreateNSWMul(bi, hidden));
        callPerDirection(gate, {floatPointer(cg, xw, b.CreateNSWMul(xRow(t, bi), gh)),
                                floatPointer(cg, hr, b.CreateNSWMul(bi, gh)), hRow,
                                floatPointer(cg, c, b.CreateNSWMul(bi, hidden)), pd, wb, rb, hidden});
        if (hasY) copyRow(hRow, floatPointer(cg, out[0], b.CreateNSWMul(yRow(t, d, bi), hidden)));
      });
    }, "step");

    // Final states.
    cg.forLoop(cg.i64(0), batch, [&](llvm::Value* bi) {
      llvm::Value* row = b.CreateNSWMul(stateRow(d, bi), hidden);
      if (hasYh) copyRow(floatPointer(cg, h, b.CreateNSWMul(bi, hidden)), floatPointer(cg, out[1], row));
      if (hasYc) copyRow(floatPointer(cg, c, b.CreateNSWMul(bi, hidden)), floatPointer(cg, out[2], row));
    }, "final");
    freeMemory(cg, ws);
  }, "direction");
  cg.finishKernel();
  return std::make_unique<RecurrentLaunch>(cell.gates, dirs, layout1);
}

}  // namespace kiln::llvmjit
