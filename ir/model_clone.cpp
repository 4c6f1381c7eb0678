#include "ir/model_clone.h"

namespace kiln {

Model modelWithGraph(const Model& m, std::unique_ptr<Graph> graph) {
  Model c;
  c.irVersion = m.irVersion;
  c.producerName = m.producerName;
  c.producerVersion = m.producerVersion;
  c.domain = m.domain;
  c.docString = m.docString;
  c.modelVersion = m.modelVersion;
  c.opsets = m.opsets;
  c.metadata = m.metadata;
  c.sourcePath = m.sourcePath;
  c.sourceOpset = m.sourceOpset;
  c.graph = std::move(graph);
  return c;
}

Model cloneModel(const Model& m) {
  Model c = modelWithGraph(m, m.graph->clone());
  for (const Function& f : m.functions) {
    Function copy;
    copy.name = f.name;
    copy.domain = f.domain;
    copy.docString = f.docString;
    copy.attributes = f.attributes;
    copy.opsets = f.opsets;
    if (f.body) copy.body = f.body->clone();
    c.functions.push_back(std::move(copy));
  }
  return c;
}

}  // namespace kiln
