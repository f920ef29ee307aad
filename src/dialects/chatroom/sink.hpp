#pragma once
#include "core/sink.hpp"

namespace parley::dialects::chatroom {

using Sink = core::Sink;  // a chatroom connection needs nothing more from its transport

}  // namespace parley::dialects::chatroom
