#pragma once
// A trie of topic paths, one node per level, values at the nodes. The same tree answers both
// questions MQTT asks:
// - match_topic(topic): the values stored under filters that match a topic name (the
//   subscriptions a publication reaches), walking '+' and '#' nodes;
// - match_filter(filter): the values stored under topic names that a filter matches (the
//   retained messages a new subscription receives), expanding '+' and '#' over the tree.
// Both follow section 4.7.2: a first-level wildcard does not reach a topic starting with '$'.
// Not thread-safe; the cost of a match grows with the levels and the nodes it visits, not with
// the number of paths stored.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/mqtt/topic.hpp"

namespace parley::dialects::mqtt {

template <class T>
class TopicTree {
 public:
  // Adds value under path (a filter or a topic name, already validated).
  void insert(std::string_view path, T value) { node_for(path).values.push_back(std::move(value)); }

  // Removes the values under path for which pred(value) is true; returns how many. Empty nodes
  // are pruned.
  template <class Pred>
  std::size_t erase_if(std::string_view path, Pred&& pred) {
    std::vector<std::pair<Node*, std::string_view>> trail;  // parent, child key
    Node* node = &root_;
    bool found = true;
    for_each_level(path, [&](std::string_view level) {
      if (!found) return;
      auto it = node->children.find(level);
      if (it == node->children.end()) {
        found = false;
        return;
      }
      trail.emplace_back(node, it->first);
      node = it->second.get();
    });
    if (!found) return 0;
    std::size_t before = node->values.size();
    std::erase_if(node->values, pred);
    std::size_t removed = before - node->values.size();
    size_ -= removed;
    // Prune from the leaf up while nodes are empty.
    for (auto it = trail.rbegin(); it != trail.rend(); ++it) {
      auto child = it->first->children.find(it->second);
      if (!child->second->values.empty() || !child->second->children.empty()) break;
      it->first->children.erase(child);
    }
    return removed;
  }

  // The values under path itself (no wildcard expansion), or null.
  std::vector<T>* find(std::string_view path) {
    Node* node = &root_;
    bool found = true;
    for_each_level(path, [&](std::string_view level) {
      if (!found) return;
      auto it = node->children.find(level);
      if (it == node->children.end())
        found = false;
      else
        node = it->second.get();
    });
    return found ? &node->values : nullptr;
  }

  // Calls fn(value) for every value stored under a filter that matches topic.
  template <class Fn>
  void match_topic(std::string_view topic, Fn&& fn) const {
    std::vector<std::string_view> levels;
    for_each_level(topic, [&](std::string_view l) { levels.push_back(l); });
    bool dollar = !topic.empty() && topic.front() == '$';
    walk_topic(root_, levels, 0, dollar, fn);
  }

  // Calls fn(value) for every value stored under a topic name that filter matches.
  template <class Fn>
  void match_filter(std::string_view filter, Fn&& fn) const {
    std::vector<std::string_view> levels;
    for_each_level(filter, [&](std::string_view l) { levels.push_back(l); });
    walk_filter(root_, levels, 0, fn);
  }

  // Calls fn(value) for every value in the tree.
  template <class Fn>
  void for_each(Fn&& fn) const {
    all_below(root_, fn);
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
    std::vector<T> values;
  };

  Node& node_for(std::string_view path) {
    Node* node = &root_;
    for_each_level(path, [&](std::string_view level) {
      auto it = node->children.find(level);
      if (it == node->children.end())
        it = node->children.emplace(std::string(level), std::make_unique<Node>()).first;
      node = it->second.get();
    });
    ++size_;
    return *node;
  }

  template <class Fn>
  static void emit(const Node& node, Fn& fn) {
    for (const T& v : node.values) fn(v);
  }

  template <class Fn>
  static void walk_topic(const Node& node, const std::vector<std::string_view>& levels,
                         std::size_t i, bool dollar, Fn& fn) {
    bool first = i == 0;
    if (auto hash = node.children.find(std::string_view("#"));
        hash != node.children.end() && !(first && dollar))
      emit(*hash->second, fn);  // "#" matches this level and everything below it
    if (i == levels.size()) {
      emit(node, fn);
      return;
    }
    if (auto exact = node.children.find(levels[i]); exact != node.children.end())
      walk_topic(*exact->second, levels, i + 1, dollar, fn);
    if (auto plus = node.children.find(std::string_view("+"));
        plus != node.children.end() && !(first && dollar))
      walk_topic(*plus->second, levels, i + 1, dollar, fn);
  }

  template <class Fn>
  static void all_below(const Node& node, Fn& fn) {
    emit(node, fn);
    for (const auto& [key, child] : node.children) all_below(*child, fn);
  }

  template <class Fn>
  static void walk_filter(const Node& node, const std::vector<std::string_view>& levels,
                          std::size_t i, Fn& fn) {
    if (i == levels.size()) {
      emit(node, fn);
      return;
    }
    std::string_view level = levels[i];
    bool first = i == 0;
    if (level == "#") {
      if (!first) emit(node, fn);  // the parent level: "a/#" matches "a"
      for (const auto& [key, child] : node.children)
        if (!(first && !key.empty() && key.front() == '$')) all_below(*child, fn);
      return;
    }
    if (level == "+") {
      for (const auto& [key, child] : node.children)
        if (!(first && !key.empty() && key.front() == '$')) walk_filter(*child, levels, i + 1, fn);
      return;
    }
    if (auto exact = node.children.find(level); exact != node.children.end())
      walk_filter(*exact->second, levels, i + 1, fn);
  }

  Node root_;
  std::size_t size_ = 0;
};

}  // namespace parley::dialects::mqtt
