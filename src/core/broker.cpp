#include "core/broker.hpp"

namespace parley::core {

std::string_view describe(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok:
      return "ok";
    case Outcome::too_many_channels:
      return "too many channels";
    case Outcome::store_unavailable:
      return "storage unavailable";
  }
  return "refused";
}

}  // namespace parley::core
