/* Timing of a model library for bench/aot_bench.py: dlopen + <name>_create time, then the
 * median of timed <name>_run calls, printed as JSON. Uses only the library's exported C API
 * (found with dlsym, so one binary times any model).
 *
 *   aot_bench LIB.so NAME INPUT.bin DIMS [--threads N] [--warmup W] [--iters K]
 *
 * One float32 input with DIMS `1x3x64x64`. */
#define _POSIX_C_SOURCE 199309L
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { int threads; const char* weights_path; } options_t;
typedef struct { int32_t dtype; size_t rank; const int64_t* dims; const void* data; size_t bytes; } tensor_t;
typedef int (*create_fn)(const options_t*, void**);
typedef int (*run_fn)(void*, const tensor_t*, size_t);
typedef const char* (*error_fn)(const void*);

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void* symbol(void* lib, const char* name, const char* suffix) {
  char full[256];
  snprintf(full, sizeof full, "%s_%s", name, suffix);
  void* p = dlsym(lib, full);
  if (!p) {
    fprintf(stderr, "aot_bench: %s not found\n", full);
    exit(2);
  }
  return p;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: aot_bench LIB.so NAME INPUT.bin DIMS [--threads N] [--warmup W] [--iters K]\n");
    return 2;
  }
  int threads = 1, warmup = 3, iters = 20;
  for (int a = 5; a + 1 < argc; a += 2) {
    if (strcmp(argv[a], "--threads") == 0) threads = atoi(argv[a + 1]);
    else if (strcmp(argv[a], "--warmup") == 0) warmup = atoi(argv[a + 1]);
    else if (strcmp(argv[a], "--iters") == 0) iters = atoi(argv[a + 1]);
  }
  int64_t dims[8];
  size_t rank = 0, count = 1;
  for (const char* p = argv[4]; *p;) {
    dims[rank] = strtoll(p, (char**)&p, 10);
    count *= (size_t)dims[rank++];
    if (*p == 'x') ++p;
  }
  float* data = malloc(count * sizeof(float));
  FILE* f = fopen(argv[3], "rb");
  if (!f || fread(data, sizeof(float), count, f) != count) return 2;
  fclose(f);

  const double t0 = now_ms();
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "aot_bench: %s\n", dlerror());
    return 2;
  }
  create_fn create = (create_fn)symbol(lib, argv[2], "create");
  run_fn run = (run_fn)symbol(lib, argv[2], "run");
  error_fn error = (error_fn)symbol(lib, argv[2], "last_error");
  const double t1 = now_ms();
  options_t options = {threads, NULL};
  void* model = NULL;
  if (create(&options, &model) != 0) {
    fprintf(stderr, "aot_bench: create: %s\n", error(NULL));
    return 1;
  }
  const double t2 = now_ms();
  tensor_t input = {1, rank, dims, data, count * sizeof(float)};
  if (run(model, &input, 1) != 0) {
    fprintf(stderr, "aot_bench: run: %s\n", error(model));
    return 1;
  }
  const double t3 = now_ms();
  for (int i = 0; i < warmup; ++i) run(model, &input, 1);
  double* times = malloc((size_t)iters * sizeof(double));
  for (int i = 0; i < iters; ++i) {
    const double s = now_ms();
    run(model, &input, 1);
    times[i] = now_ms() - s;
  }
  qsort(times, (size_t)iters, sizeof(double), by_value);
  printf("{\"dlopen_ms\": %.3f, \"create_ms\": %.3f, \"first_run_ms\": %.3f, \"median_ms\": %.3f, \"threads\": %d}\n",
         t1 - t0, t2 - t1, t3 - t2, times[iters / 2], threads);
  return 0;
}
