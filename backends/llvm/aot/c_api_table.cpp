#include "backends/llvm/aot/c_api_table.h"

namespace kiln::llvmjit {
namespace {

constexpr ApiFunction kFunctions[] = {
    {"create", "i", "pp", "int @_create(const @_options* options, @_model** model)",
     "Creates an instance (options may be NULL: 1 thread, weights beside the library). @_OK or an error code;\n"
     " * on error *model is NULL and @_last_error(NULL) says why (per calling thread)."},
    {"destroy", "v", "p", "void @_destroy(@_model* model)", "Frees an instance (NULL is ignored)."},
    {"run", "i", "ppz", "int @_run(@_model* model, const @_tensor* inputs, size_t num_inputs)",
     "Runs the model on one tensor per input, in order. Inputs are checked (count, dtype, rank, static\n"
     " * dims, byte size) and only read. @_OK or an error code; @_last_error(model) says why."},
    {"get_output", "i", "pzp", "int @_get_output(@_model* model, size_t index, @_tensor* output)",
     "Output `index` of the latest successful run: dtype, dims and data stay valid until the next\n"
     " * run or destroy of this instance."},
    {"last_error", "p", "p", "const char* @_last_error(const @_model* model)",
     "Message of the instance's last failed call, or of this thread's last failed create when model is NULL."},
    {"num_inputs", "z", "", "size_t @_num_inputs(void)", "Number of graph inputs."},
    {"input_name", "p", "z", "const char* @_input_name(size_t i)", "Name of input i (NULL when out of range)."},
    {"input_dtype", "i", "z", "int32_t @_input_dtype(size_t i)", "Element type of input i (@_DTYPE_*)."},
    {"input_rank", "l", "z", "int64_t @_input_rank(size_t i)", "Rank of input i, -1 when unknown."},
    {"input_dim", "l", "zz", "int64_t @_input_dim(size_t i, size_t axis)", "Static size of an axis, -1 when symbolic."},
    {"input_dim_symbol", "p", "zz", "const char* @_input_dim_symbol(size_t i, size_t axis)",
     "The symbolic size of an axis (e.g. \"batch\"), NULL when static."},
    {"num_outputs", "z", "", "size_t @_num_outputs(void)", "Number of graph outputs."},
    {"output_name", "p", "z", "const char* @_output_name(size_t i)", "Name of output i."},
    {"output_dtype", "i", "z", "int32_t @_output_dtype(size_t i)", "Element type of output i."},
    {"output_rank", "l", "z", "int64_t @_output_rank(size_t i)", "Rank of output i, -1 when unknown."},
    {"output_dim", "l", "zz", "int64_t @_output_dim(size_t i, size_t axis)", "Static size of an axis, -1 when symbolic."},
    {"output_dim_symbol", "p", "zz", "const char* @_output_dim_symbol(size_t i, size_t axis)",
     "The symbolic size of an axis, NULL when static."},
    {"metadata_count", "z", "", "size_t @_metadata_count(void)", "Number of metadata_props entries."},
    {"metadata_key", "p", "z", "const char* @_metadata_key(size_t i)", "Key of entry i."},
    {"metadata_value", "p", "z", "const char* @_metadata_value(size_t i)", "Value of entry i."},
};

}  // namespace

std::span<const ApiFunction> apiFunctions() { return kFunctions; }

}  // namespace kiln::llvmjit
