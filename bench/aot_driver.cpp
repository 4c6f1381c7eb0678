// Times a kiln AOT library (`kiln compile MODEL --emit lib`) for bench/run.sh, through the C API
// of its generated header: NAME_create([threads]), NAME_run(model, inputs, outputs),
// NAME_destroy(model). Built by bench/aot_bench.py against that header:
//
//   c++ -O2 -std=c++20 -include DIR/NAME.h -DKILN_AOT_NAME=NAME aot_driver.cpp -LDIR -lNAME
//   aot_driver THREADS WARMUP ITERS IN0.bin [IN1.bin...] -- OUT0_BYTES [OUT1_BYTES...]
//
// Inputs are raw little-endian buffers in the model's input order; prints {"times_ms": [...]}.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#define KILN_AOT_CAT2(a, b) a##b
#define KILN_AOT_CAT(a, b) KILN_AOT_CAT2(a, b)
#define KILN_AOT_FN(suffix) KILN_AOT_CAT(KILN_AOT_NAME, suffix)

namespace {

template <class Create>
auto createModel(Create create, int threads) {
  if constexpr (std::is_invocable_v<Create, int>) return create(threads);
  else return create();
}

template <class Run, class Model>
int runModel(Run run, Model model, std::vector<void*>& inputs, std::vector<void*>& outputs) {
  using In = const void* const*;
  using Out = void* const*;
  if constexpr (std::is_invocable_v<Run, Model, const float* const*, float* const*>)
    return static_cast<int>(run(model, reinterpret_cast<const float* const*>(inputs.data()),
                                reinterpret_cast<float* const*>(outputs.data())));
  else
    return static_cast<int>(run(model, static_cast<In>(inputs.data()), static_cast<Out>(outputs.data())));
}

std::vector<char> readFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: aot_driver THREADS WARMUP ITERS IN.bin... -- OUT_BYTES...\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]), warmup = std::atoi(argv[2]), iters = std::atoi(argv[3]);
  std::vector<std::vector<char>> inData, outData;
  int i = 4;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) inData.push_back(readFile(argv[i]));
  for (++i; i < argc; ++i) outData.emplace_back(std::strtoull(argv[i], nullptr, 10));
  std::vector<void*> inputs, outputs;
  for (auto& d : inData) inputs.push_back(d.data());
  for (auto& d : outData) outputs.push_back(d.data());

  auto model = createModel(KILN_AOT_FN(_create), threads);
  if (!model) {
    std::fprintf(stderr, "aot_driver: create failed\n");
    return 1;
  }
  std::vector<double> times;
  for (int k = 0; k < warmup + iters; ++k) {
    const auto start = std::chrono::steady_clock::now();
    const int rc = runModel(KILN_AOT_FN(_run), model, inputs, outputs);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (rc != 0) {
      std::fprintf(stderr, "aot_driver: run returned %d\n", rc);
      return 1;
    }
    if (k >= warmup) times.push_back(ms);
  }
  KILN_AOT_FN(_destroy)(model);
  std::printf("{\"times_ms\": [");
  for (size_t k = 0; k < times.size(); ++k) std::printf("%s%.6f", k ? ", " : "", times[k]);
  std::printf("]}\n");
  return 0;
}
