#include "net/dht/routing_table.hpp"

#include <algorithm>

namespace net::dht {

size_t RoutingTable::row_index(const NodeId& id) const {
  int bits = common_prefix_bits(id_, id);
  return static_cast<size_t>(std::min(bits, 255));
}

RoutingTable::AddResult RoutingTable::add(const TableNode& node) {
  if (node.id == id_) return AddResult::self;
  auto& row = rows_[row_index(node.id)];
  auto it = std::lower_bound(row.begin(), row.end(), node.id,
                             [](const TableNode& n, const NodeId& id) { return n.id < id; });
  if (it != row.end() && it->id == node.id) return AddResult::exists;
  if (row.size() >= k_) return AddResult::full;
  row.insert(it, node);
  size_++;
  return AddResult::added;
}

TableNode* RoutingTable::get(const NodeId& id) {
  auto& row = rows_[row_index(id)];
  auto it = std::lower_bound(row.begin(), row.end(), id, [](const TableNode& n, const NodeId& i) { return n.id < i; });
  return it != row.end() && it->id == id ? &*it : nullptr;
}

const TableNode* RoutingTable::get(const NodeId& id) const { return const_cast<RoutingTable*>(this)->get(id); }

bool RoutingTable::remove(const NodeId& id) {
  auto& row = rows_[row_index(id)];
  auto it = std::lower_bound(row.begin(), row.end(), id, [](const TableNode& n, const NodeId& i) { return n.id < i; });
  if (it == row.end() || it->id != id) return false;
  row.erase(it);
  size_--;
  return true;
}

std::vector<const TableNode*> RoutingTable::closest(const NodeId& target, size_t k) const {
  // A node in row r shares r leading bits with us and differs at bit r. For a target in row
  // t: row t agrees with the target through bit t (closest), rows above t all differ from it
  // first at bit t, rows below t differ at bit r < t (farther as r falls). So: row t, then
  // rows t+1..255 sorted together, then rows t-1 down to 0, stopping once k are collected.
  std::vector<const TableNode*> out;
  out.reserve(std::min(size_, k + kK));
  auto by_distance = [&](const TableNode* a, const TableNode* b) {
    return compare_distance(target, a->id, b->id) < 0;
  };
  size_t t = target == id_ ? 255 : row_index(target);
  auto take_group = [&](size_t from, size_t to_inclusive) {
    size_t start = out.size();
    for (size_t r = from; r <= to_inclusive; r++)
      for (const auto& n : rows_[r]) out.push_back(&n);
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), by_distance);
  };
  take_group(t, t);
  if (t < 255 && out.size() < k) take_group(t + 1, 255);
  for (size_t r = t; r-- > 0 && out.size() < k;) take_group(r, r);
  if (out.size() > k) out.resize(k);
  return out;
}

std::vector<TableNode*> RoutingTable::row_for(const NodeId& id) {
  std::vector<TableNode*> out;
  for (auto& n : rows_[row_index(id)]) out.push_back(&n);
  return out;
}

const TableNode* RoutingTable::at(size_t index) const {
  for (const auto& row : rows_) {
    if (index < row.size()) return &row[index];
    index -= row.size();
  }
  return nullptr;
}

void RoutingTable::for_each(const std::function<void(TableNode&)>& fn) {
  for (auto& row : rows_)
    for (auto& n : row) fn(n);
}

std::vector<TableNode> RoutingTable::to_vector() const {
  std::vector<TableNode> out;
  out.reserve(size_);
  for (const auto& row : rows_) out.insert(out.end(), row.begin(), row.end());
  return out;
}

}  // namespace net::dht
