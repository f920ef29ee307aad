#pragma once
// The Concierge tests' sink: the shared recording sink (texts sent, close code, pings, timers
// that the test fires by hand).
#include "recording_sink.hpp"

namespace parley::test {

using ConciergeSink = RecordingSink;

}  // namespace parley::test
