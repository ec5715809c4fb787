// Devices for group tests: each has its own fault-injecting storage and wall clock.
#pragma once

#include <memory>
#include <string>

#include "hypercore/fault_storage.hpp"
#include "multi/group.hpp"
#include "tests/multi/group_model.hpp"
#include "tests/multi/group_sync.hpp"

namespace multi_test {

struct Device {
  std::shared_ptr<hypercore::FaultStorage> storage = std::make_shared<hypercore::FaultStorage>();
  std::shared_ptr<uint64_t> wall = std::make_shared<uint64_t>(1'700'000'000'000);
  std::unique_ptr<multi::Group> group;

  multi::GroupOptions options(multi::GroupOptions o = {}) const {
    auto w = wall;
    o.physical_clock = [w] { return *w; };
    return o;
  }
  multi::Group& operator*() { return *group; }
  multi::Group* operator->() { return group.get(); }
  hypercore::Result<void> reopen(multi::GroupOptions o = {}) {
    group.reset();
    storage->set_plan({});
    auto g = multi::Group::open(storage, options(o));
    if (!g) return std::unexpected(g.error());
    group = std::move(*g);
    return {};
  }
};

inline Device create_device(multi::GroupOptions o = {}) {
  Device d;
  d.group = std::move(*multi::Group::create(d.storage, d.options(o)));
  return d;
}

inline Device join_device(const multi::Hash& key, multi::GroupOptions o = {}) {
  Device d;
  d.group = std::move(*multi::Group::join(d.storage, key, d.options(o)));
  return d;
}

inline hypercore::ByteSpan bytes(std::string_view s) { return hypercore::as_bytes(s); }
inline std::string str(const hypercore::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// The values of a key as text, in order.
inline std::vector<std::string> values_of(multi::Group& g, std::string_view key) {
  std::vector<std::string> out;
  auto values = g.get(bytes(key));
  if (!values) return {"error: " + values.error().to_string()};
  for (const auto& v : *values) out.push_back(v.value ? str(*v.value) : "(no value)");
  return out;
}

}  // namespace multi_test
