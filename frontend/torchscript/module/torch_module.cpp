// Entry point of libkiln_torch.so: hands kiln the table of its TorchScript functions.

#include "backends/torch/runner.h"
#include "frontend/torchscript/importer.h"
#include "frontend/torchscript/torch_api.h"

extern "C" __attribute__((visibility("default"))) const kiln::torchscript::TorchApi* kilnTorchApi() {
  static const kiln::torchscript::TorchApi api{
      .version = kiln::torchscript::kTorchApiVersion,
      .importFile = &kiln::torchscript::importTorchScriptFile,
      .runFile = &kiln::torch_runner::runTorchScriptFile,
  };
  return &api;
}
