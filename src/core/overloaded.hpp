#pragma once
// A visitor for std::visit made of lambdas, one per alternative:
//   std::visit(core::overloaded{[](const A&) {...}, [](const B&) {...}}, variant);

namespace parley::core {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace parley::core
