#pragma once
// The landing page's data: every system with its endpoints, a one-line client for each, and
// the web pages, from the configuration.
#include <boost/json/object.hpp>

#include "app/config.hpp"

namespace parley::app {

boost::json::object landing_data(const Config& cfg);

}  // namespace parley::app
