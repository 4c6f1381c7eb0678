// Cross-checks kiln's shape inference on static shapes against ONNX's own (python onnx,
// `onnx.shape_inference.infer_shapes` at opset 17, whose forms of these ops are kiln's
// canonical ones). Skipped where python3 with onnx is not installed.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <variant>

#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

/// One input of a case: a graph input of static shape, a constant, or omitted.
struct In {
  enum class Kind { F32, I64, ConstInts, ConstScalar, ConstFloats, Omitted } kind;
  std::vector<int64_t> ints;  ///< dims for F32/I64, values for the int constants
  std::vector<float> floats;
};
In f32(std::vector<int64_t> dims) { return {In::Kind::F32, std::move(dims), {}}; }
In i64(std::vector<int64_t> dims) { return {In::Kind::I64, std::move(dims), {}}; }
In ci(std::vector<int64_t> values) { return {In::Kind::ConstInts, std::move(values), {}}; }
In cs(int64_t value) { return {In::Kind::ConstScalar, {value}, {}}; }
In cf(std::vector<float> values) { return {In::Kind::ConstFloats, {}, std::move(values)}; }
In none() { return {In::Kind::Omitted, {}, {}}; }

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>>;
struct Case {
  std::string op;
  std::vector<In> ins;
  std::vector<std::pair<std::string, AttrValue>> attrs = {};
  size_t outputs = 1;
};

AttrValue I(int64_t v) { return v; }
AttrValue Is(std::vector<int64_t> v) { return v; }
AttrValue S(const char* v) { return std::string(v); }

std::vector<Case> cases() {
  return {
      {"Conv", {f32({1, 3, 224, 224}), f32({64, 3, 7, 7})}, {{"strides", Is({2, 2})}, {"pads", Is({3, 3, 3, 3})}}},
      {"Conv", {f32({1, 3, 225, 225}), f32({8, 3, 3, 3})}, {{"auto_pad", S("SAME_UPPER")}, {"strides", Is({2, 2})}}},
      {"Conv", {f32({1, 3, 31, 30}), f32({8, 3, 3, 3})},
       {{"auto_pad", S("SAME_LOWER")}, {"strides", Is({3, 3})}, {"dilations", Is({2, 2})}}},
      {"Conv", {f32({2, 4, 9, 11}), f32({6, 2, 3, 5}), f32({6})},
       {{"group", I(2)}, {"strides", Is({2, 3})}, {"pads", Is({1, 0, 2, 1})}, {"dilations", Is({1, 2})}}},
      {"Conv", {f32({1, 4, 10}), f32({2, 4, 3})}, {{"auto_pad", S("VALID")}, {"strides", Is({2})}}},
      {"Conv", {f32({1, 2, 8, 9, 10}), f32({4, 2, 3, 3, 3})}, {{"pads", Is({1, 1, 1, 0, 0, 0})}}},
      {"ConvTranspose", {f32({1, 16, 7, 9}), f32({16, 4, 4, 4})},
       {{"strides", Is({2, 2})}, {"pads", Is({1, 1, 1, 1})}, {"group", I(2)}, {"output_padding", Is({1, 0})}}},
      {"ConvTranspose", {f32({1, 8, 5, 6}), f32({8, 3, 3, 3})}, {{"auto_pad", S("SAME_UPPER")}, {"strides", Is({2, 2})}}},
      {"ConvTranspose", {f32({1, 8, 5}), f32({8, 3, 3})}, {{"dilations", Is({2})}, {"strides", Is({3})}}},
      {"MaxPool", {f32({1, 64, 112, 112})}, {{"kernel_shape", Is({3, 3})}, {"strides", Is({2, 2})}, {"pads", Is({1, 1, 1, 1})}}, 2},
      {"MaxPool", {f32({1, 1, 5, 5})}, {{"kernel_shape", Is({2, 2})}, {"strides", Is({2, 2})}, {"ceil_mode", I(1)}}},
      {"MaxPool", {f32({1, 1, 6, 7})}, {{"kernel_shape", Is({3, 3})}, {"strides", Is({2, 2})}, {"pads", Is({1, 1, 1, 1})}, {"ceil_mode", I(1)}}},
      {"MaxPool", {f32({1, 2, 10, 10})}, {{"kernel_shape", Is({2, 2})}, {"dilations", Is({2, 3})}}},
      {"AveragePool", {f32({1, 2, 10, 9})}, {{"kernel_shape", Is({3, 3})}, {"auto_pad", S("SAME_UPPER")}, {"strides", Is({2, 2})}}},
      {"GlobalMaxPool", {f32({2, 8, 5, 5})}},
      {"Reshape", {f32({2, 3, 4}), ci({0, -1})}},
      {"Reshape", {f32({2, 3, 4}), ci({4, -1, 2})}},
      {"Reshape", {f32({2, 0, 4}), ci({0, 4})}, {{"allowzero", I(1)}}},
      {"Flatten", {f32({2, 3, 4, 5})}, {{"axis", I(0)}}},
      {"Flatten", {f32({2, 3, 4, 5})}, {{"axis", I(-1)}}},
      {"Transpose", {f32({2, 3, 4, 5})}, {{"perm", Is({3, 1, 0, 2})}}},
      {"Transpose", {f32({2, 3, 4})}},
      {"Squeeze", {f32({1, 3, 1, 5}), ci({0, -2})}},
      {"Squeeze", {f32({1, 3, 1, 5})}},
      {"Unsqueeze", {f32({3, 5}), ci({0, 3})}},
      {"Unsqueeze", {f32({3, 5}), ci({-1})}},
      {"Concat", {f32({2, 3}), f32({2, 4}), f32({2, 1})}, {{"axis", I(-1)}}},
      {"Split", {f32({4, 10}), ci({2, 3, 5})}, {{"axis", I(1)}}, 3},
      {"Split", {f32({6, 4})}, {}, 2},
      {"Slice", {f32({10, 20, 30}), ci({1, -5}), ci({1000, -1}), ci({0, 2}), ci({2, 1})}},
      {"Slice", {f32({10, 20}), ci({-1}), ci({-1000}), ci({1}), ci({-3})}},
      {"Slice", {f32({10, 20}), ci({5}), ci({2})}},
      {"Slice", {f32({10, 20}), ci({0, 3}), ci({INT64_MAX, INT64_MAX})}},
      {"Gather", {f32({5, 6, 7}), i64({2, 3})}, {{"axis", I(1)}}},
      {"Gather", {f32({5, 6}), cs(2)}},
      {"GatherElements", {f32({5, 6}), i64({5, 2})}, {{"axis", I(1)}}},
      {"GatherND", {f32({2, 5, 6, 7}), i64({2, 4, 2})}, {{"batch_dims", I(1)}}},
      {"ScatterND", {f32({4, 5}), i64({2, 1}), f32({2, 5})}},
      {"MatMul", {f32({2, 1, 3, 4}), f32({5, 4, 6})}},
      {"MatMul", {f32({4}), f32({2, 4, 3})}},
      {"MatMul", {f32({2, 3, 4}), f32({4})}},
      {"Gemm", {f32({7, 3}), f32({5, 7}), f32({5})}, {{"transA", I(1)}, {"transB", I(1)}}},
      {"Einsum", {f32({2, 3, 4}), f32({2, 4, 5})}, {{"equation", S("bij,bjk->bik")}}},
      {"Einsum", {f32({3, 4})}, {{"equation", S("ij->ji")}}},
      {"Einsum", {f32({6, 2, 3}), f32({3, 4})}, {{"equation", S("...ij,...jk")}}},  // ellipsis ranks differ
      {"Einsum", {f32({6, 2, 3}), f32({1, 3, 4})}, {{"equation", S("...ij,...jk")}}},
      {"Tile", {f32({2, 3}), ci({3, 2})}},
      {"Pad", {f32({2, 3, 4}), ci({0, 1, 2, 0, 3, 4})}},
      {"Expand", {f32({2, 1}), ci({3, 1, 4})}},
      {"ReduceSum", {f32({2, 3, 4}), ci({0, -1})}, {{"keepdims", I(0)}}},
      {"ReduceSum", {f32({2, 3, 4})}},
      {"ReduceSum", {f32({2, 3, 4}), ci({1})}},
      {"ArgMin", {f32({2, 3, 4})}, {{"axis", I(-1)}}},
      {"TopK", {f32({3, 10}), ci({4})}, {}, 2},
      {"CumSum", {f32({3, 10}), cs(1)}},
      {"Softmax", {f32({3, 10})}, {{"axis", I(0)}}},
      {"LSTM", {f32({5, 2, 8}), f32({2, 64, 8}), f32({2, 64, 16})}, {{"direction", S("bidirectional")}, {"hidden_size", I(16)}}, 3},
      {"GRU", {f32({2, 5, 8}), f32({1, 48, 8}), f32({1, 48, 16})}, {{"hidden_size", I(16)}, {"layout", I(1)}}, 2},
      {"RNN", {f32({5, 2, 8}), f32({1, 16, 8}), f32({1, 16, 16})}, {{"hidden_size", I(16)}}, 2},
      {"Resize", {f32({1, 3, 10, 15}), none(), cf({1, 1, 2, 1.5f})}},
      {"Resize", {f32({1, 3, 10, 15}), none(), none(), ci({1, 3, 7, 9})}},
      {"DepthToSpace", {f32({1, 8, 3, 4})}, {{"blocksize", I(2)}}},
      {"SpaceToDepth", {f32({1, 2, 6, 4})}, {{"blocksize", I(2)}}},
      {"OneHot", {i64({3, 4}), cs(10), cf({0, 1})}, {{"axis", I(0)}}},
      {"Range", {cs(2), cs(11), cs(3)}},
      {"LayerNormalization", {f32({2, 5, 8}), f32({5, 8}), f32({5, 8})}, {{"axis", I(1)}}, 3},
      {"BatchNormalization", {f32({2, 4, 3, 3}), f32({4}), f32({4}), f32({4}), f32({4})}, {{"training_mode", I(1)}}, 3},
      {"InstanceNormalization", {f32({2, 4, 3, 3}), f32({4}), f32({4})}},
      {"Shape", {f32({2, 3, 4, 5})}, {{"start", I(1)}, {"end", I(-1)}}},
      {"Size", {f32({2, 3})}},
      {"ConstantOfShape", {ci({2, 3})}},
      {"Where", {i64({3, 1}), f32({1, 4}), f32({3, 4})}},
      {"Add", {f32({2, 1, 4}), f32({3, 1})}},
      {"Equal", {f32({2, 1, 4}), f32({3, 1})}},
      {"NonZero", {f32({2, 3})}},
      {"Trilu", {f32({4, 5})}},
      {"Dropout", {f32({4, 5})}, {}, 2},
      {"Clip", {f32({4, 5}), none(), cf({6})}},
      {"QuantizeLinear", {f32({4, 5}), cf({0.5f})}},
  };
}

// Reads one JSON case per line from argv[1]; prints the inferred output types per case.
constexpr const char* kOracle = R"PY(
import json, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
names = {1: 'f32', 2: 'u8', 6: 'i32', 7: 'i64', 9: 'bool'}
def typestr(t):
    if not t.HasField('tensor_type'):
        return '?'
    tt = t.tensor_type
    d = names.get(tt.elem_type, '?')
    if not tt.HasField('shape'):
        return d + '[*]'
    dims = [str(x.dim_value) if x.HasField('dim_value') else (x.dim_param or '?') for x in tt.shape.dim]
    return d + '[' + ','.join(dims) + ']'
for line in open(sys.argv[1]):
    c = json.loads(line)
    inputs, inits, vis = [], [], []
    for i, (kind, v) in enumerate(c['ins']):
        n = 'in%d' % i
        if kind == 'none':
            inputs.append('')
            continue
        inputs.append(n)
        if kind == 'f32': vis.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, v))
        elif kind == 'i64': vis.append(helper.make_tensor_value_info(n, TensorProto.INT64, v))
        elif kind == 'ci': inits.append(numpy_helper.from_array(np.array(v, dtype=np.int64), n))
        elif kind == 'cs': inits.append(numpy_helper.from_array(np.array(v[0], dtype=np.int64), n))
        elif kind == 'cf': inits.append(numpy_helper.from_array(np.array(v, dtype=np.float32), n))
    attrs = {k: v for k, _, v in c['attrs']}
    if c['op'] == 'Where':  # the condition is declared i64 only to keep the case table simple
        vis[0] = helper.make_tensor_value_info('in0', TensorProto.BOOL, c['ins'][0][1])
    outs = ['out%d' % k for k in range(c['nout'])]
    node = helper.make_node(c['op'], inputs, outs, **attrs)
    g = helper.make_graph([node], 'g', vis, [onnx.ValueInfoProto(name=o) for o in outs], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])
    try:
        inf = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        print(' '.join(typestr(o.type) for o in inf.graph.output))
    except Exception as e:
        print('error: ' + str(e).replace('\n', ' '))
)PY";

std::string json(const Case& c) {
  auto list = [](const auto& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      std::ostringstream s;
      s << v[i];
      out += (i ? "," : "") + s.str();
    }
    return out + "]";
  };
  std::string out = "{\"op\":\"" + c.op + "\",\"nout\":" + std::to_string(c.outputs) + ",\"ins\":[";
  for (size_t i = 0; i < c.ins.size(); ++i) {
    const In& in = c.ins[i];
    static const char* kinds[] = {"f32", "i64", "ci", "cs", "cf", "none"};
    out += std::string(i ? "," : "") + "[\"" + kinds[static_cast<int>(in.kind)] + "\"," +
           (in.kind == In::Kind::ConstFloats ? list(in.floats) : list(in.ints)) + "]";
  }
  out += "],\"attrs\":[";
  for (size_t i = 0; i < c.attrs.size(); ++i) {
    const auto& [name, v] = c.attrs[i];
    out += std::string(i ? "," : "") + "[\"" + name + "\",0,";
    if (auto* p = std::get_if<int64_t>(&v)) out += std::to_string(*p);
    if (auto* p = std::get_if<float>(&v)) out += std::to_string(*p);
    if (auto* p = std::get_if<std::string>(&v)) out += "\"" + *p + "\"";
    if (auto* p = std::get_if<std::vector<int64_t>>(&v)) out += list(*p);
    out += "]";
  }
  return out + "]}";
}

/// kiln's answer for one case: the printed output types, or "error".
std::string inferWithKiln(const Case& c) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < c.ins.size(); ++i) {
    const In& in = c.ins[i];
    auto constant = [&](Tensor t) {
      Node* n = g.createNode("", "Constant", {});
      n->setAttr("value", Attribute(std::move(t)));
      return n->addOutput("c" + std::to_string(i));
    };
    auto n = static_cast<int64_t>(in.ints.size());
    std::vector<Dim> dims(in.ints.begin(), in.ints.end());
    switch (in.kind) {
      case In::Kind::F32: ins.push_back(g.addInput("in" + std::to_string(i), Type::tensor(DType::Float32, dims))); break;
      case In::Kind::I64:
        // Where's condition: bool (see the python side).
        ins.push_back(g.addInput("in" + std::to_string(i),
                                 Type::tensor(c.op == "Where" && i == 0 ? DType::Bool : DType::Int64, dims)));
        break;
      case In::Kind::ConstInts: ins.push_back(constant(Tensor::fromVector(DType::Int64, {n}, in.ints))); break;
      case In::Kind::ConstScalar: ins.push_back(constant(Tensor::fromVector(DType::Int64, {}, in.ints))); break;
      case In::Kind::ConstFloats:
        ins.push_back(constant(Tensor::fromVector(DType::Float32, {static_cast<int64_t>(in.floats.size())}, in.floats)));
        break;
      case In::Kind::Omitted: ins.push_back(nullptr); break;
    }
  }
  Node* node = g.createNode("", c.op, ins);
  for (size_t k = 0; k < c.outputs; ++k) node->addOutput("out" + std::to_string(k));
  for (const auto& [name, v] : c.attrs)
    std::visit([&, &name = name](const auto& x) { node->setAttr(name, Attribute(x)); }, v);
  if (!inferShapes(g).isOk()) return "error";
  std::string out;
  for (size_t k = 0; k < c.outputs; ++k) out += (k ? " " : "") + node->output(k)->type().str();
  return out;
}

/// Whether kiln's answer agrees with ONNX's: the same dtypes and ranks, and the same dims
/// wherever ONNX knows them (ONNX 1.12 leaves some it could compute as `unk__N`, kiln does not).
bool agrees(const std::string& kiln, const std::string& onnx) {
  if (kiln == "error" || onnx.rfind("error", 0) == 0) return kiln == "error" && onnx.rfind("error", 0) == 0;
  std::istringstream a(kiln), b(onnx);
  std::string x, y;
  while (true) {
    bool moreA = static_cast<bool>(a >> x), moreB = static_cast<bool>(b >> y);
    if (moreA != moreB) return false;
    if (!moreA) return true;
    auto split = [](const std::string& t) {
      std::vector<std::string> parts;
      size_t open = t.find('[');
      parts.push_back(t.substr(0, open));
      std::string dims = open == std::string::npos ? "" : t.substr(open + 1, t.size() - open - 2);
      for (size_t start = 0; !dims.empty() && start <= dims.size();) {
        size_t comma = dims.find(',', start);
        parts.push_back(dims.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return parts;
    };
    auto p = split(x), q = split(y);
    if (p.size() != q.size() || p[0] != q[0]) return false;
    for (size_t i = 1; i < p.size(); ++i)
      if (p[i] != q[i] && q[i] != "?" && q[i].rfind("unk__", 0) != 0) return false;
  }
}

TEST(ShapeInferenceVsOnnx, StaticShapesAgree) {
  namespace fs = std::filesystem;
  if (std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 onnx missing";
  fs::path dir = fs::temp_directory_path() / ("kiln_shape_oracle_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<Case> all = cases();
  {
    std::ofstream script(dir / "oracle.py");
    script << kOracle;
    std::ofstream lines(dir / "cases.jsonl");
    for (const Case& c : all) lines << json(c) << "\n";
  }
  std::string command = "/usr/bin/python3 " + (dir / "oracle.py").string() + " " + (dir / "cases.jsonl").string();
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<std::string> answers;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    answers.push_back(line);
  }
  ::pclose(pipe);
  fs::remove_all(dir);
  ASSERT_EQ(answers.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    std::string kiln = inferWithKiln(all[i]);
    EXPECT_TRUE(agrees(kiln, answers[i])) << "case " << i << ": " << json(all[i]) << "\nkiln: " << kiln
                                           << "\nonnx: " << answers[i];
  }
}

}  // namespace
}  // namespace kiln
