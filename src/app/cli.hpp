#pragma once

namespace parley::app {

// Parses the command line and runs the server (or a subcommand). Returns the exit code.
int main(int argc, char** argv);

}  // namespace parley::app
