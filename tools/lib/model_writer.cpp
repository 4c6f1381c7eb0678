#include "tools/lib/model_writer.h"

#include <filesystem>

#include "backends/onnx/emitter.h"
#include "ir/atomic_file.h"
#include "ir/printer.h"

namespace kiln::tools {

Status checkNotOverwritingInput(const std::string& input, const std::string& output, bool force) {
  std::error_code ec;
  if (!force && std::filesystem::exists(output, ec) && std::filesystem::equivalent(input, output, ec))
    return Diagnostic{.file = output,
                      .message = "output would overwrite the input file " + input + "; pass --force to allow it"};
  return Status::ok();
}

Status writeModel(const Model& model, const std::string& path, const WriteOptions& options) {
  if (options.format == ModelFormat::TextIR) return writeFileAtomically(path, printModel(model));
  onnx_backend::EmitOptions emit;
  emit.targetOpset = options.opset;
  if (options.onnxRuntime) emit.runtime = onnx_backend::TargetRuntime::OnnxRuntime;
  return onnx_backend::emitModelFile(model, path, emit);
}

}  // namespace kiln::tools
