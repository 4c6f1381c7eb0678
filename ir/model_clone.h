#pragma once
// Copies of a model. Graph copies share tensor buffers (weights are never duplicated).

#include <memory>

#include "ir/model.h"

namespace kiln {

/// Everything the model carries around its graph (versions, producer, opsets, metadata, source)
/// with `graph` as its graph and no functions.
Model modelWithGraph(const Model& model, std::unique_ptr<Graph> graph);

/// A deep copy: the graph and every function body cloned.
Model cloneModel(const Model& model);

}  // namespace kiln
