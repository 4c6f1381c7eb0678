#include "backends/onnx/deferred_raw_data.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <onnx/onnx_pb.h>

#include <vector>

#include "backends/onnx/atomic_file_stream.h"

namespace kiln::onnx_backend {

namespace onnx = ::ONNX_NAMESPACE;
namespace pb = ::google::protobuf;
using pb::internal::WireFormatLite;

namespace {

constexpr int kModelGraphField = 7;         // ModelProto.graph
constexpr int kGraphInitializerField = 5;   // GraphProto.initializer
constexpr int kTensorRawDataField = 9;      // TensorProto.raw_data

/// Moves the set fields of `from` numbered in [lo, hi) into `to`, which must be empty there
/// (a swap per field: no copies).
void moveFields(pb::Message& from, pb::Message& to, int lo, int hi) {
  std::vector<const pb::FieldDescriptor*> set, picked;
  from.GetReflection()->ListFields(from, &set);
  for (const auto* f : set)
    if (f->number() >= lo && f->number() < hi) picked.push_back(f);
  from.GetReflection()->SwapFields(&from, &to, picked);
}

/// A message split around one field number: the fields below it and the fields above it, moved
/// out of the original for the duration of the write and moved back afterwards.
template <typename Proto>
class SplitAround {
 public:
  SplitAround(Proto& whole, int field) : whole_(whole), field_(field) {
    moveFields(whole_, below_, 0, field_);
    moveFields(whole_, above_, field_ + 1, 1 << 29);
  }
  ~SplitAround() {
    moveFields(below_, whole_, 0, field_);
    moveFields(above_, whole_, field_ + 1, 1 << 29);
  }
  const Proto& below() const { return below_; }
  const Proto& above() const { return above_; }

 private:
  Proto& whole_;
  int field_;
  Proto below_, above_;
};

size_t lengthDelimitedSize(size_t payload) { return pb::io::CodedOutputStream::VarintSize64(payload) + payload; }

void writeLengthDelimitedHeader(pb::io::CodedOutputStream& out, int field, size_t payload) {
  out.WriteTag(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint64(payload);
}

}  // namespace

bool DeferredRawData::wants(const Tensor& t) const {
  return t.dtype() != DType::String && t.numElements() > 0 && t.rawData() && t.byteSize() > threshold_;
}

void DeferredRawData::defer(const Tensor& t, onnx::TensorProto& proto) {
  proto.set_raw_data(std::string(1, '\0'));
  tensors_.emplace(&proto, t);
}

Status DeferredRawData::writeModel(onnx::ModelProto& model, AtomicFileWriter& out) const {
  onnx::GraphProto& graph = *model.mutable_graph();
  // Each initializer as it will be written: deferred ones without their placeholder.
  struct Piece {
    onnx::TensorProto* proto;
    const Tensor* data;  // null: written as it is
    size_t size;         // of the whole TensorProto, real data included
  };
  std::vector<Piece> pieces;
  for (auto& init : *graph.mutable_initializer()) {
    auto it = tensors_.find(&init);
    if (it == tensors_.end()) {
      pieces.push_back({&init, nullptr, init.ByteSizeLong()});
      continue;
    }
    init.clear_raw_data();
    size_t bytes = it->second.byteSize();
    pieces.push_back({&init, &it->second, init.ByteSizeLong() + 1 + lengthDelimitedSize(bytes)});
  }

  Status status;
  {
    SplitAround<onnx::ModelProto> modelParts(model, kModelGraphField);
    onnx::GraphProto graphParts[2];  // fields below and above the initializers
    moveFields(graph, graphParts[0], 0, kGraphInitializerField);
    moveFields(graph, graphParts[1], kGraphInitializerField + 1, 1 << 29);
    size_t graphSize = graphParts[0].ByteSizeLong() + graphParts[1].ByteSizeLong();
    for (const Piece& p : pieces) graphSize += 1 + lengthDelimitedSize(p.size);

    AtomicFileStream sink(out);
    bool ok;
    {
      pb::io::CopyingOutputStreamAdaptor adaptor(&sink, 1 << 20);
      {
        pb::io::CodedOutputStream coded(&adaptor);
        modelParts.below().SerializeToCodedStream(&coded);
        writeLengthDelimitedHeader(coded, kModelGraphField, graphSize);
        graphParts[0].SerializeToCodedStream(&coded);
        for (const Piece& p : pieces) {
          writeLengthDelimitedHeader(coded, kGraphInitializerField, p.size);
          if (!p.data) {
            p.proto->SerializeToCodedStream(&coded);
            continue;
          }
          SplitAround<onnx::TensorProto> tensorParts(*p.proto, kTensorRawDataField);
          tensorParts.below().SerializeToCodedStream(&coded);
          writeLengthDelimitedHeader(coded, kTensorRawDataField, p.data->byteSize());
          // Straight from the tensor's buffer (often the source model's weights): no copy.
          coded.WriteRaw(p.data->rawData(), static_cast<int>(p.data->byteSize()));
          tensorParts.above().SerializeToCodedStream(&coded);
        }
        graphParts[1].SerializeToCodedStream(&coded);
        modelParts.above().SerializeToCodedStream(&coded);
        ok = !coded.HadError();
      }
      ok = adaptor.Flush() && ok;
    }
    moveFields(graphParts[0], graph, 0, kGraphInitializerField);
    moveFields(graphParts[1], graph, kGraphInitializerField + 1, 1 << 29);
    status = std::move(sink.status());
    if (status && !ok) status = Diagnostic{.file = out.path(), .message = "cannot serialize the model proto"};
  }
  for (const Piece& p : pieces)
    if (p.data) p.proto->set_raw_data(std::string(1, '\0'));
  return status;
}

}  // namespace kiln::onnx_backend
