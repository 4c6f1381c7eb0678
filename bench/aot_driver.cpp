// Times a kiln AOT library (`kiln compile MODEL --emit lib -o DIR/libNAME.so`, docs/aot.md) for
// bench/run.sh through the C API of its generated header DIR/NAME.h: NAME_create(options,
// &model), NAME_run(model, tensors, count), NAME_destroy(model); input shapes and dtypes come
// from the header's NAME_input_* functions. Built by bench/aot_bench.py against that header:
//
//   c++ -O2 -std=c++20 -include DIR/NAME.h -DKILN_AOT_NAME=NAME aot_driver.cpp DIR/libNAME.so
//   aot_driver THREADS WARMUP ITERS IN0.bin [IN1.bin...]
//
// Inputs are raw buffers in the model's input order; prints {"times_ms": [...]}.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#define KILN_AOT_CAT2(a, b) a##b
#define KILN_AOT_CAT(a, b) KILN_AOT_CAT2(a, b)
#define KILN_AOT(suffix) KILN_AOT_CAT(KILN_AOT_NAME, suffix)

namespace {

std::vector<char> readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int fail(const char* what, const char* why) {
  std::fprintf(stderr, "aot_driver: %s: %s\n", what, why ? why : "(no message)");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: aot_driver THREADS WARMUP ITERS IN.bin...\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]), warmup = std::atoi(argv[2]), iters = std::atoi(argv[3]);
  const size_t numInputs = KILN_AOT(_num_inputs)();
  if (static_cast<size_t>(argc - 4) != numInputs) return fail("inputs", "one .bin file per model input expected");
  std::vector<std::vector<char>> data;
  std::vector<std::vector<int64_t>> dims(numInputs);
  std::vector<KILN_AOT(_tensor)> tensors(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    data.push_back(readFile(argv[4 + i]));
    const int64_t rank = KILN_AOT(_input_rank)(i);
    if (rank < 0) return fail("inputs", "an input of unknown rank");
    for (int64_t a = 0; a < rank; ++a) {
      dims[i].push_back(KILN_AOT(_input_dim)(i, static_cast<size_t>(a)));
      if (dims[i].back() < 0) return fail("inputs", "symbolic input dims are not supported by this driver");
    }
    tensors[i].dtype = KILN_AOT(_input_dtype)(i);
    tensors[i].rank = static_cast<size_t>(rank);
    tensors[i].dims = dims[i].data();
    tensors[i].data = data[i].data();
    tensors[i].bytes = data[i].size();
  }

  KILN_AOT(_options) options{};
  options.threads = threads;
  KILN_AOT(_model)* model = nullptr;
  if (KILN_AOT(_create)(&options, &model) != 0) return fail("create", KILN_AOT(_last_error)(nullptr));
  std::vector<double> times;
  for (int k = 0; k < warmup + iters; ++k) {
    const auto start = std::chrono::steady_clock::now();
    const int rc = KILN_AOT(_run)(model, tensors.data(), tensors.size());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (rc != 0) return fail("run", KILN_AOT(_last_error)(model));
    if (k >= warmup) times.push_back(ms);
  }
  KILN_AOT(_destroy)(model);
  std::printf("{\"times_ms\": [");
  for (size_t k = 0; k < times.size(); ++k) std::printf("%s%.6f", k ? ", " : "", times[k]);
  std::printf("]}\n");
  return 0;
}
