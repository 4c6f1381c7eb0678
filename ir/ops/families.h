#pragma once
// One registration function per op family, each defined in its own file of ir/ops/.

#include "ir/op_registry.h"

namespace kiln {

void registerControlFlowOps(OpRegistry& registry);

}  // namespace kiln
