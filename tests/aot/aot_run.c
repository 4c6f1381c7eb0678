/* Runs a model library compiled by `kiln compile --emit lib` through its C API only (built with
 * `cc -DMODEL=<name> -include <name>.h`), for tests/e2e/aot.py.
 *
 *   aot_run [--threads N] [--two-threads] [--bad-use] [--describe] OUT_PREFIX (IN.bin DIMS)...
 *
 * DIMS is `1x3x64x64` (`scalar` for rank 0); the element type is the model's. Writes every
 * output as OUT_PREFIX.<i>.bin plus OUT_PREFIX.<i>.shape (`dtype d0 d1 ...`).
 *   --two-threads  two instances run the inputs on two threads at once; their outputs must agree
 *   --bad-use      wrong input count, dtype, byte size and rank must give an error code and message
 *   --describe     prints the inputs, outputs (symbolic dims by name) and metadata */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define API(f) CAT(MODEL, f)

typedef API(model) model_t;
typedef API(tensor) tensor_t;

#define MAX_INPUTS 16

static size_t dtype_size(int32_t dtype) {
  switch (dtype) {
    case 1: case 6: case 12: return 4;
    case 7: case 11: case 13: return 8;
    case 2: case 3: case 9: return 1;
    case 4: case 5: case 10: case 16: return 2;
    default: return 0;
  }
}

static void* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* data = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(data);
    return NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

static size_t parse_dims(const char* text, int64_t* dims) {
  if (strcmp(text, "scalar") == 0) return 0;
  size_t rank = 0;
  const char* p = text;
  while (*p) {
    dims[rank++] = strtoll(p, (char**)&p, 10);
    if (*p == 'x') ++p;
  }
  return rank;
}

static int write_outputs(model_t* m, const char* prefix) {
  for (size_t i = 0; i < API(num_outputs)(); ++i) {
    tensor_t t;
    if (API(get_output)(m, i, &t) != 0) {
      fprintf(stderr, "get_output %zu: %s\n", i, API(last_error)(m));
      return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s.%zu.bin", prefix, i);
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(t.data, 1, t.bytes, f) != t.bytes) return 1;
    fclose(f);
    snprintf(path, sizeof path, "%s.%zu.shape", prefix, i);
    f = fopen(path, "w");
    if (!f) return 1;
    fprintf(f, "%d", (int)t.dtype);
    for (size_t d = 0; d < t.rank; ++d) fprintf(f, " %lld", (long long)t.dims[d]);
    fprintf(f, "\n");
    fclose(f);
  }
  return 0;
}

struct job {
  model_t* model;
  const tensor_t* inputs;
  size_t count;
  int status;
};

static void* run_job(void* arg) {
  struct job* j = (struct job*)arg;
  for (int r = 0; r < 3 && j->status == 0; ++r) j->status = API(run)(j->model, j->inputs, j->count);
  return NULL;
}

static int expect_error(model_t* m, const tensor_t* inputs, size_t count, const char* what) {
  int code = API(run)(m, inputs, count);
  const char* msg = API(last_error)(m);
  if (code == 0 || !msg || !*msg) {
    fprintf(stderr, "bad use not refused: %s (code %d)\n", what, code);
    return 1;
  }
  printf("bad use (%s): code %d: %s\n", what, code, msg);
  return 0;
}

static int bad_use(model_t* m, tensor_t* inputs, size_t count) {
  int failures = 0;
  tensor_t copy[MAX_INPUTS + 1];
  memcpy(copy, inputs, count * sizeof(tensor_t));
  failures += expect_error(m, copy, count - 1, "one input too few");
  copy[count] = inputs[0];
  failures += expect_error(m, copy, count + 1, "one input too many");
  copy[0].dtype = inputs[0].dtype == 1 ? 11 : 1;
  failures += expect_error(m, copy, count, "wrong dtype");
  copy[0] = inputs[0];
  copy[0].bytes = inputs[0].bytes - dtype_size(inputs[0].dtype);
  failures += expect_error(m, copy, count, "wrong byte size");
  copy[0] = inputs[0];
  copy[0].rank = inputs[0].rank + 1;
  failures += expect_error(m, copy, count, "wrong rank");
  copy[0] = inputs[0];
  copy[0].data = NULL;
  failures += expect_error(m, copy, count, "NULL data");
  model_t* none = NULL;
  API(options) options = {1, "/nonexistent/weights"};
  (void)options;
  if (API(get_output)(m, 99, &copy[0]) == 0) ++failures;
  if (API(create)(NULL, NULL) == 0 || !API(last_error)(NULL)[0]) ++failures;
  (void)none;
  /* The instance still works after refused calls. */
  if (API(run)(m, inputs, count) != 0) {
    fprintf(stderr, "run after bad use failed: %s\n", API(last_error)(m));
    ++failures;
  }
  return failures;
}

static void describe(void) {
  for (size_t i = 0; i < API(num_inputs)(); ++i) {
    printf("input %s dtype %d dims", API(input_name)(i), (int)API(input_dtype)(i));
    for (int64_t d = 0; d < API(input_rank)(i); ++d) {
      const char* symbol = API(input_dim_symbol)(i, (size_t)d);
      if (symbol) printf(" %s", symbol);
      else printf(" %lld", (long long)API(input_dim)(i, (size_t)d));
    }
    printf("\n");
  }
  for (size_t i = 0; i < API(num_outputs)(); ++i) {
    printf("output %s dtype %d dims", API(output_name)(i), (int)API(output_dtype)(i));
    for (int64_t d = 0; d < API(output_rank)(i); ++d) {
      const char* symbol = API(output_dim_symbol)(i, (size_t)d);
      if (symbol) printf(" %s", symbol);
      else printf(" %lld", (long long)API(output_dim)(i, (size_t)d));
    }
    printf("\n");
  }
  for (size_t i = 0; i < API(metadata_count)(); ++i)
    printf("metadata %s=%s\n", API(metadata_key)(i), API(metadata_value)(i));
}

int main(int argc, char** argv) {
  int threads = 1, two_threads = 0, check_bad_use = 0, print_description = 0, a = 1;
  for (; a < argc && strncmp(argv[a], "--", 2) == 0; ++a) {
    if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) threads = atoi(argv[++a]);
    else if (strcmp(argv[a], "--two-threads") == 0) two_threads = 1;
    else if (strcmp(argv[a], "--bad-use") == 0) check_bad_use = 1;
    else if (strcmp(argv[a], "--describe") == 0) print_description = 1;
  }
  if (a >= argc) {
    fprintf(stderr, "usage: aot_run [options] OUT_PREFIX (IN.bin DIMS)...\n");
    return 2;
  }
  const char* prefix = argv[a++];
  if (print_description) describe();
  static int64_t dims[MAX_INPUTS][8];
  tensor_t inputs[MAX_INPUTS + 1];
  size_t count = 0;
  for (; a + 1 < argc && count < MAX_INPUTS; a += 2, ++count) {
    size_t size = 0;
    void* data = read_file(argv[a], &size);
    if (!data) {
      fprintf(stderr, "cannot read %s\n", argv[a]);
      return 2;
    }
    inputs[count].dtype = API(input_dtype)(count);
    inputs[count].rank = parse_dims(argv[a + 1], dims[count]);
    inputs[count].dims = dims[count];
    inputs[count].data = data;
    inputs[count].bytes = size;
  }
  API(options) options = {threads, NULL};
  model_t* m = NULL;
  if (API(create)(&options, &m) != 0) {
    fprintf(stderr, "create: %s\n", API(last_error)(NULL));
    return 1;
  }
  if (API(run)(m, inputs, count) != 0) {
    fprintf(stderr, "run: %s\n", API(last_error)(m));
    return 1;
  }
  if (write_outputs(m, prefix) != 0) return 1;
  int failures = 0;
  if (two_threads) {
    model_t* second = NULL;
    if (API(create)(&options, &second) != 0) return 1;
    struct job jobs[2] = {{m, inputs, count, 0}, {second, inputs, count, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; ++i) pthread_create(&t[i], NULL, run_job, &jobs[i]);
    for (int i = 0; i < 2; ++i) pthread_join(t[i], NULL);
    for (int i = 0; i < 2; ++i)
      if (jobs[i].status != 0) {
        fprintf(stderr, "thread %d: %s\n", i, API(last_error)(jobs[i].model));
        ++failures;
      }
    for (size_t o = 0; failures == 0 && o < API(num_outputs)(); ++o) {
      tensor_t x, y;
      API(get_output)(m, o, &x);
      API(get_output)(second, o, &y);
      if (x.bytes != y.bytes || memcmp(x.data, y.data, x.bytes) != 0) {
        fprintf(stderr, "output %zu differs between the two threads' instances\n", o);
        ++failures;
      }
    }
    if (!failures) printf("two instances on two threads agree\n");
    API(destroy)(second);
  }
  if (check_bad_use) failures += bad_use(m, inputs, count);
  API(destroy)(m);
  for (size_t i = 0; i < count; ++i) free((void*)inputs[i].data);
  return failures ? 1 : 0;
}
