#include "frontend/onnx/attribute_import.h"

#include <onnx/onnx_pb.h>

#include "frontend/onnx/tensor_import.h"
#include "frontend/onnx/type_import.h"

namespace kiln::onnx_frontend {
namespace {

using AP = onnx::AttributeProto;

/// IR version 1 files carry no attribute type: it is implied by the one field that is set.
AP::AttributeType impliedType(const AP& a) {
  if (a.has_f()) return AP::FLOAT;
  if (a.has_i()) return AP::INT;
  if (a.has_s()) return AP::STRING;
  if (a.has_t()) return AP::TENSOR;
  if (a.has_g()) return AP::GRAPH;
  if (a.has_tp()) return AP::TYPE_PROTO;
  if (a.has_sparse_tensor()) return AP::SPARSE_TENSOR;
  if (a.floats_size()) return AP::FLOATS;
  if (a.ints_size()) return AP::INTS;
  if (a.strings_size()) return AP::STRINGS;
  if (a.tensors_size()) return AP::TENSORS;
  if (a.graphs_size()) return AP::GRAPHS;
  if (a.type_protos_size()) return AP::TYPE_PROTOS;
  if (a.sparse_tensors_size()) return AP::SPARSE_TENSORS;
  return AP::UNDEFINED;
}

/// A value of the declared kind standing in for a function attribute until inlining.
Expected<Attribute> placeholder(AP::AttributeType type, const std::string& what) {
  switch (type) {
    case AP::FLOAT: return Attribute(0.0f);
    case AP::INT: return Attribute(int64_t{0});
    case AP::STRING: return Attribute(std::string());
    case AP::TENSOR: return Attribute(Tensor());
    case AP::GRAPH: return Attribute(std::make_unique<Graph>());
    case AP::TYPE_PROTO: return Attribute(Type());
    case AP::FLOATS: return Attribute(std::vector<float>());
    case AP::INTS: return Attribute(std::vector<int64_t>());
    case AP::STRINGS: return Attribute(std::vector<std::string>());
    case AP::TENSORS: return Attribute(std::vector<Tensor>());
    case AP::GRAPHS: return Attribute(std::vector<Attribute::GraphPtr>());
    case AP::TYPE_PROTOS: return Attribute(std::vector<Type>());
    default: return Status::error(what + " has a type kiln does not support");
  }
}

}  // namespace

Expected<Attribute> attributeFromProto(AP& a, bool inFunction, const SubgraphLifter& liftSubgraph,
                                       ImportContext& ctx) {
  const std::string what = "attribute '" + a.name() + "'";
  AP::AttributeType type = a.type() != AP::UNDEFINED ? a.type() : impliedType(a);
  if (type == AP::UNDEFINED) return Status::error(what + " has no type and no value");

  if (a.has_ref_attr_name() && !a.ref_attr_name().empty()) {
    if (!inFunction)
      return Status::error(what + " refers to function attribute '" + a.ref_attr_name() +
                           "' outside a function body");
    auto p = placeholder(type, what);
    if (p) p->setRefAttrName(a.ref_attr_name());
    return p;
  }

  switch (type) {
    case AP::FLOAT: return Attribute(a.f());
    case AP::INT: return Attribute(static_cast<int64_t>(a.i()));
    case AP::STRING: return Attribute(std::string(a.s()));
    case AP::FLOATS: return Attribute(std::vector<float>(a.floats().begin(), a.floats().end()));
    case AP::INTS: return Attribute(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case AP::STRINGS: return Attribute(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case AP::TENSOR: {
      auto t = tensorFromProto(*a.mutable_t(), what, ctx);
      if (!t) return t.takeStatus();
      return Attribute(t.take());
    }
    case AP::TENSORS: {
      std::vector<Tensor> out;
      for (int i = 0; i < a.tensors_size(); ++i) {
        auto t = tensorFromProto(*a.mutable_tensors(i), what + " (tensor " + std::to_string(i) + ")", ctx);
        if (!t) return t.takeStatus();
        out.push_back(t.take());
      }
      return Attribute(std::move(out));
    }
    case AP::GRAPH: {
      auto g = liftSubgraph(*a.mutable_g());
      if (!g) return g.takeStatus();
      return Attribute(g.take());
    }
    case AP::GRAPHS: {
      std::vector<Attribute::GraphPtr> out;
      for (int i = 0; i < a.graphs_size(); ++i) {
        auto g = liftSubgraph(*a.mutable_graphs(i));
        if (!g) return g.takeStatus();
        out.push_back(g.take());
      }
      return Attribute(std::move(out));
    }
    case AP::TYPE_PROTO: {
      auto t = typeFromProto(a.tp(), what);
      if (!t) return t.takeStatus();
      return Attribute(t.take());
    }
    case AP::TYPE_PROTOS: {
      std::vector<Type> out;
      for (const auto& tp : a.type_protos()) {
        auto t = typeFromProto(tp, what);
        if (!t) return t.takeStatus();
        out.push_back(t.take());
      }
      return Attribute(std::move(out));
    }
    case AP::SPARSE_TENSOR:
    case AP::SPARSE_TENSORS:
      return Status::error(what + " holds a sparse tensor, which kiln does not support");
    default:
      return Status::error(what + " has attribute type " + std::to_string(static_cast<int>(type)) +
                           ", which kiln does not know");
  }
}

Status canonicalizeConstant(Node& node) {
  static constexpr const char* kValueAttrs[] = {"value",     "value_float",  "value_floats", "value_int",
                                                "value_ints", "value_string", "value_strings", "sparse_value"};
  std::vector<std::string> present;
  for (const char* name : kValueAttrs)
    if (node.attr(name)) present.push_back(name);
  if (present.empty()) return Status::error("Constant has no value attribute");
  if (present.size() > 1)
    return Status::error("Constant has " + std::to_string(present.size()) + " value attributes (" + present[0] +
                         ", " + present[1] + "); it needs exactly one");
  const std::string& key = present[0];
  const Attribute& a = *node.attr(key);
  if (!a.refAttrName().empty()) return Status::ok();  // resolved when the function is inlined

  Tensor value;
  if (key == "value") {
    if (a.kind() != AttrKind::Tensor) return Status::error("Constant's value is not a tensor");
    value = a.t();
  } else if (key == "value_float" && a.kind() == AttrKind::Float) {
    value = Tensor::fromVector(DType::Float32, {}, std::vector<float>{a.f()});
  } else if (key == "value_floats" && a.kind() == AttrKind::Floats) {
    value = Tensor::fromVector(DType::Float32, {static_cast<int64_t>(a.floats().size())}, a.floats());
  } else if (key == "value_int" && a.kind() == AttrKind::Int) {
    value = Tensor::fromVector(DType::Int64, {}, std::vector<int64_t>{a.i()});
  } else if (key == "value_ints" && a.kind() == AttrKind::Ints) {
    value = Tensor::fromVector(DType::Int64, {static_cast<int64_t>(a.ints().size())}, a.ints());
  } else if (key == "value_string" && a.kind() == AttrKind::String) {
    value = Tensor::fromStrings({}, {a.s()});
  } else if (key == "value_strings" && a.kind() == AttrKind::Strings) {
    value = Tensor::fromStrings({static_cast<int64_t>(a.strings().size())}, a.strings());
  } else if (key == "sparse_value") {
    return Status::error("Constant's sparse_value is not supported");
  } else {
    return Status::error("Constant's " + key + " has the wrong attribute type (" +
                         std::string(attrKindName(a.kind())) + ")");
  }
  if (key != "value") {
    node.attributes().erase(key);
    node.setAttr("value", Attribute(value));
  }
  if (node.output(0)) {
    std::vector<Dim> dims(value.dims().begin(), value.dims().end());
    node.output(0)->setType(Type::tensor(value.dtype(), Shape(std::move(dims))));
  }
  return Status::ok();
}

}  // namespace kiln::onnx_frontend
