#pragma once
#include "core/sink.hpp"

namespace parley::dialects::phoenix {

using Sink = core::Sink;  // a phoenix connection needs nothing more from its transport

}  // namespace parley::dialects::phoenix
