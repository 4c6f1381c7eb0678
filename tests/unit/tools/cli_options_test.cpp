// Parsers behind `--input-shape`, `--metadata` / `--metadata-file` and batch-mode output paths.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tools/lib/batch_inputs.h"
#include "tools/lib/input_shape_args.h"
#include "tools/lib/metadata_options.h"

namespace kiln::tools {
namespace {

TEST(InputShapes, ParsesNamesDimsAndDtypes) {
  auto specs = parseInputShapes({"x=1x3x224x224", "mask=1x128:int64", "2x5:f16", "flag=1:bool"});
  ASSERT_TRUE(specs) << specs.status().str();
  ASSERT_EQ(specs->size(), 4u);
  EXPECT_EQ((*specs)[0].name, "x");
  EXPECT_EQ((*specs)[0].dims, (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_EQ((*specs)[0].dtype, DType::Float32);
  EXPECT_EQ((*specs)[1].dtype, DType::Int64);
  EXPECT_EQ((*specs)[2].name, "");
  EXPECT_EQ((*specs)[2].dtype, DType::Float16);
  EXPECT_EQ((*specs)[3].dtype, DType::Bool);
}

TEST(InputShapes, RejectsMalformedEntries) {
  for (const char* bad : {"x=", "x=1xx3", "x=1x-3", "x=ax3", "=1x3", "x=1x3:complex", "x=1x3:"}) {
    auto specs = parseInputShapes({bad});
    EXPECT_FALSE(specs) << bad;
  }
  EXPECT_FALSE(parseInputShapes({"x=1", "x=2"}));
}

TEST(InputShapes, SignatureModelHasTheGivenInputs) {
  auto specs = parseInputShapes({"x=2x3", "4:i32"});
  ASSERT_TRUE(specs);
  Model m = signatureFromInputShapes(*specs);
  ASSERT_EQ(m.graph->numInputs(), 2u);
  EXPECT_EQ(m.graph->input(0)->name(), "x");
  EXPECT_EQ(m.graph->input(0)->type().str(), "f32[2,3]");
  EXPECT_EQ(m.graph->input(1)->name(), "input_1");
  EXPECT_EQ(m.graph->input(1)->type().str(), "i32[4]");
}

TEST(Metadata, OptionsAndFileInOrder) {
  auto opts = parseMetadataOptions({"a=1", "url=http://x?y=z", "empty="});
  ASSERT_TRUE(opts);
  EXPECT_EQ((*opts)[1].second, "http://x?y=z");
  EXPECT_EQ((*opts)[2].second, "");
  EXPECT_FALSE(parseMetadataOptions({"=v"}));
  EXPECT_FALSE(parseMetadataOptions({"novalue"}));

  auto dir = std::filesystem::temp_directory_path() / ("kiln_md_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string()) << text;
    return (dir / name).string();
  };
  auto good = readMetadataFile(write("good.json", R"({"zeta": "1", "alpha": "mean=0.5"})"));
  ASSERT_TRUE(good) << good.status().str();
  ASSERT_EQ(good->size(), 2u);
  EXPECT_EQ((*good)[0].first, "zeta");  // file order, not sorted
  EXPECT_EQ((*good)[1].second, "mean=0.5");
  auto number = readMetadataFile(write("number.json", R"({"a": 1})"));
  ASSERT_FALSE(number);
  EXPECT_NE(number.status().str().find("'a'"), std::string::npos);
  EXPECT_FALSE(readMetadataFile(write("array.json", "[1]")));
  EXPECT_FALSE(readMetadataFile(write("broken.json", "{")));
  EXPECT_FALSE(readMetadataFile((dir / "missing.json").string()));

  Model m;
  m.metadata = {{"a", "old"}};
  applyMetadata(m, {{"a", "new"}, {"b", "2"}});
  EXPECT_EQ(m.metadata, (std::vector<std::pair<std::string, std::string>>{{"a", "new"}, {"b", "2"}}));
  std::filesystem::remove_all(dir);
}

TEST(BatchInputs, OutputsMirrorTheTreeUnderTheOutputFolder) {
  std::vector<std::string> inputs = {"/r/runs/a/weights/best.pt", "/r/runs/b/weights/best.pt"};
  std::string root = commonParent(inputs);
  EXPECT_EQ(root, "/r/runs");
  EXPECT_EQ(batchOutputPath(inputs[0], "best.onnx", "out", root), "out/a/weights/best.onnx");
  EXPECT_EQ(batchOutputPath(inputs[1], "best.onnx", "out", root), "out/b/weights/best.onnx");
  EXPECT_EQ(batchOutputPath(inputs[0], "best.onnx", "", root), "/r/runs/a/weights/best.onnx");
  EXPECT_EQ(commonParent({"/m/x.onnx", "/m/y.onnx"}), "/m");
  EXPECT_EQ(batchOutputPath("/m/x.onnx", "x.kiln.onnx", "out", "/m"), "out/x.kiln.onnx");
}

TEST(BatchInputs, GlobsExpandSortedAndAnEmptyMatchIsAnError) {
  auto dir = std::filesystem::temp_directory_path() / ("kiln_glob_" + std::to_string(::getpid()));
  for (const char* sub : {"b", "a", "c"}) {
    std::filesystem::create_directories(dir / sub);
    std::ofstream((dir / sub / "best.pt").string()) << "x";
  }
  EXPECT_TRUE(isGlobPattern("runs/*/best.pt"));
  EXPECT_FALSE(isGlobPattern("runs/a/best.pt"));
  auto found = expandInputs({(dir / "*" / "best.pt").string()});
  ASSERT_TRUE(found) << found.status().str();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0], (dir / "a" / "best.pt").string());
  EXPECT_EQ((*found)[2], (dir / "c" / "best.pt").string());
  EXPECT_FALSE(expandInputs({(dir / "*" / "none.pt").string()}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln::tools
