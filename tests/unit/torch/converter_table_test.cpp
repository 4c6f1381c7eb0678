// The converter table covers the aten list; a removed registration fails here.

#include <gtest/gtest.h>

#include "frontend/torchscript/aten_converters.h"

namespace kiln::torchscript {
namespace {

TEST(ConverterTable, CoversTheDocumentedAtenList) {
  for (const char* op :
       {"aten::_convolution", "aten::conv2d", "aten::conv_transpose2d", "aten::linear", "aten::matmul", "aten::bmm",
        "aten::addmm", "aten::baddbmm", "aten::batch_norm", "aten::layer_norm", "aten::group_norm",
        "aten::instance_norm", "aten::max_pool2d", "aten::avg_pool2d", "aten::adaptive_avg_pool2d",
        "aten::adaptive_max_pool2d", "aten::relu", "aten::gelu", "aten::silu", "aten::hardswish", "aten::hardsigmoid",
        "aten::mish", "aten::elu", "aten::leaky_relu", "aten::softplus", "aten::tanh", "aten::sigmoid",
        "aten::softmax", "aten::log_softmax", "aten::add", "aten::sub", "aten::mul", "aten::div", "aten::eq",
        "aten::lt", "aten::view", "aten::reshape", "aten::flatten", "aten::permute", "aten::transpose",
        "aten::contiguous", "aten::expand", "aten::repeat", "aten::squeeze", "aten::unsqueeze", "aten::cat",
        "aten::stack", "aten::split", "aten::chunk", "aten::slice", "aten::select", "aten::index", "aten::narrow",
        "aten::gather", "aten::masked_fill", "aten::where", "aten::size", "aten::numel", "aten::embedding",
        "aten::dropout", "aten::clamp", "aten::pow", "aten::sqrt", "aten::rsqrt", "aten::exp", "aten::log",
        "aten::erf", "aten::mean", "aten::sum", "aten::amax", "aten::var", "aten::std", "aten::to", "aten::type_as",
        "aten::zeros", "aten::ones", "aten::full", "aten::arange", "aten::zeros_like", "aten::ones_like",
        "aten::full_like", "aten::upsample_nearest2d", "aten::upsample_bilinear2d", "aten::pad", "aten::einsum",
        "aten::lstm", "aten::gru", "prim::NumToTensor", "aten::Int", "aten::floor_divide",
        "aten::_transformer_encoder_layer_fwd", "aten::_native_multi_head_attention", "aten::_nested_tensor_from_mask",
        "aten::to_padded_tensor", "prim::If", "aten::Bool"})
    EXPECT_NE(findConverter(op), nullptr) << op;
}

TEST(ConverterTable, LoopsAreNotConverted) {
  // Constant-range loops are unrolled before lowering; any prim::Loop left is refused.
  EXPECT_EQ(findConverter("prim::Loop"), nullptr);
}

TEST(ConverterTable, InPlaceVariantsUseTheFunctionalConverter) {
  EXPECT_EQ(findConverter("aten::relu_"), findConverter("aten::relu"));
  EXPECT_NE(findConverter("aten::add_"), nullptr);
  // Dunder names are not in-place variants.
  EXPECT_EQ(findConverter("aten::__foo__"), nullptr);
  EXPECT_EQ(findConverter("aten::cumsum"), nullptr);
}

}  // namespace
}  // namespace kiln::torchscript
