#include "app/cli.hpp"

int main(int argc, char** argv) { return parley::app::main(argc, argv); }
