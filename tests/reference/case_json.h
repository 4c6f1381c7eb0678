#pragma once
// Reading the generated op cases (tests/reference/op_cases.py): tensors from their .bin files
// and attributes from case.json. Header-only: included by the reference and JIT op-case tests.

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ir/attribute.h"
#include "ir/tensor.h"

namespace kiln::testing {

/// The tensor a case.json entry ({dtype, dims, file}) describes, read from `dir`.
inline Tensor loadCaseTensor(const std::filesystem::path& dir, const nlohmann::json& spec) {
  auto dtype = parseDType(spec.at("dtype").get<std::string>());
  EXPECT_TRUE(dtype.has_value()) << spec.dump();
  std::vector<int64_t> dims = spec.at("dims").get<std::vector<int64_t>>();
  Tensor t = Tensor::zeros(*dtype, dims);
  std::ifstream f(dir / spec.at("file").get<std::string>(), std::ios::binary);
  f.read(reinterpret_cast<char*>(t.mutableRawData()), static_cast<std::streamsize>(t.byteSize()));
  EXPECT_TRUE(f || t.byteSize() == 0) << "short file " << spec.at("file");
  return t;
}

/// A node attribute from its case.json form ({type, value}).
inline Attribute caseAttribute(const nlohmann::json& a) {
  const std::string type = a.at("type");
  const nlohmann::json& v = a.at("value");
  if (type == "int") return Attribute(v.get<int64_t>());
  if (type == "float") return Attribute(static_cast<float>(v.get<double>()));
  if (type == "string") return Attribute(v.get<std::string>());
  if (type == "ints") return Attribute(v.get<std::vector<int64_t>>());
  if (type == "floats") {
    std::vector<float> f;
    for (double d : v) f.push_back(static_cast<float>(d));
    return Attribute(f);
  }
  if (type == "strings") return Attribute(v.get<std::vector<std::string>>());
  if (type == "tensor") {  // {dtype, dims, values}: ConstantOfShape's value
    auto dtype = parseDType(v.at("dtype").get<std::string>());
    EXPECT_TRUE(dtype.has_value()) << v.dump();
    Tensor t = Tensor::zeros(*dtype, v.at("dims").get<std::vector<int64_t>>());
    const size_t size = dtypeSize(*dtype);
    size_t i = 0;
    for (const nlohmann::json& e : v.at("values")) {
      std::byte* at = t.mutableRawData() + i++ * size;
      if (*dtype == DType::Float32) {
        const auto f = static_cast<float>(e.get<double>());
        std::memcpy(at, &f, sizeof f);
      } else if (*dtype == DType::Float64) {
        const double d = e.get<double>();
        std::memcpy(at, &d, sizeof d);
      } else if (isInteger(*dtype) || *dtype == DType::Bool) {
        const int64_t x = e.is_boolean() ? e.get<bool>() : e.get<int64_t>();
        std::memcpy(at, &x, size);  // little-endian low bytes
      } else {
        ADD_FAILURE() << "tensor attribute of dtype " << v.at("dtype");
      }
    }
    return Attribute(std::move(t));
  }
  ADD_FAILURE() << "unknown attribute type " << type;
  return Attribute();
}

}  // namespace kiln::testing
