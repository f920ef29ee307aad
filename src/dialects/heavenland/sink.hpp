#pragma once
#include "core/sink.hpp"

namespace parley::dialects::heavenland {

using Sink = core::Sink;  // a heavenland connection needs nothing more from its transport

}  // namespace parley::dialects::heavenland
