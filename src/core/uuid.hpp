#pragma once
#include <string>

namespace parley::core {

// A random (version 4) UUID in its canonical lower-case form. Thread-safe.
std::string make_uuid();

}  // namespace parley::core
