// The C header of a model library: types, status and dtype codes, the API from c_api_table,
// and the model's signature as a comment.

#include <cctype>

#include "backends/llvm/aot/aot_compile.h"
#include "backends/llvm/aot/c_api_table.h"

namespace kiln::llvmjit {
namespace {

std::string substitute(std::string text, const std::string& name) {
  for (size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + name.size()))
    text.replace(at, 1, name);
  return text;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string describe(const Value& v) { return v.name() + ": " + v.type().str(); }

}  // namespace

bool isValidApiName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string modelHeader(const Model& model, const std::string& name) {
  const std::string guard = upper(name) + "_KILN_H";
  const std::string N = upper(name);
  std::string h = "/* " + name + ".h: C API of the model library compiled by kiln (docs/aot.md).\n *\n";
  h += " * Inputs:\n";
  for (const Value* v : model.graph->inputs()) h += " *   " + describe(*v) + "\n";
  h += " * Outputs:\n";
  for (const Value* v : model.graph->outputs()) h += " *   " + describe(*v) + "\n";
  h += " *\n * Threads: one instance per thread. Instances share the read-only weights; a single instance\n"
       " * must not be used by two threads at once. Errors are returned as codes, never aborts. */\n";
  h += "#ifndef " + guard + "\n#define " + guard + "\n\n#include <stddef.h>\n#include <stdint.h>\n\n";
  h += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  h += substitute("typedef struct @_model @_model;\n\n", name);
  h += "/* Status codes. */\n";
  h += "#define " + N + "_OK 0\n#define " + N + "_ERROR_INVALID_ARGUMENT 1\n#define " + N +
       "_ERROR_LOAD 2\n#define " + N + "_ERROR_RUN 3\n\n";
  h += "/* Element types (the ONNX TensorProto codes). */\n";
  const std::pair<const char*, int> dtypes[] = {{"FLOAT", 1}, {"UINT8", 2}, {"INT8", 3}, {"UINT16", 4}, {"INT16", 5},
                                                {"INT32", 6}, {"INT64", 7}, {"BOOL", 9}, {"FLOAT16", 10},
                                                {"DOUBLE", 11}, {"UINT32", 12}, {"UINT64", 13}, {"BFLOAT16", 16}};
  for (auto [n, code] : dtypes) h += "#define " + N + "_DTYPE_" + n + " " + std::to_string(code) + "\n";
  h += substitute(
      "\ntypedef struct {\n"
      "  int threads;               /* intra-op threads, the caller's included; 0 or 1: one */\n"
      "  const char* weights_path;  /* external weights file; NULL: beside the library */\n"
      "} @_options;\n\n"
      "typedef struct {\n"
      "  int32_t dtype;        /* @_DTYPE_* */\n"
      "  size_t rank;\n"
      "  const int64_t* dims;  /* rank sizes */\n"
      "  const void* data;     /* dense, row-major */\n"
      "  size_t bytes;         /* must equal the product of dims times the element size */\n"
      "} @_tensor;\n\n",
      name);
  for (const ApiFunction& f : apiFunctions()) {
    h += "/* " + substitute(f.doc, name) + " */\n";
    h += substitute(f.declaration, name) + ";\n";
  }
  h += "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
  return h;
}

}  // namespace kiln::llvmjit
