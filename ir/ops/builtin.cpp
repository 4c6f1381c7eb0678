#include "ir/ops/families.h"

namespace kiln {

void registerBuiltinOps(OpRegistry& registry) {
  registerControlFlowOps(registry);
}

}  // namespace kiln
