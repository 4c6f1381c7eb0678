#include "tools/lib/command.h"

int main(int argc, char** argv) { return kiln::tools::runCli(argc, argv); }
