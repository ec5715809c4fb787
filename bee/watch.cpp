// Bee::watch: change notifications built on the core's listener, so that local writes and
// blocks applied from peers are reported the same way.
#include "bee/bee.hpp"
#include "bee/internal/block_store.hpp"

namespace bee {

std::shared_ptr<void> Bee::watch(std::function<void(uint64_t version, uint64_t previous)> on_change) {
  return core_->watch([on_change = std::move(on_change)](const hypercore::CoreEvent& e) {
    on_change(std::max<uint64_t>(1, e.length), std::max<uint64_t>(1, e.previous_length));
  });
}

std::shared_ptr<void> Bee::watch(const Range& range,
                                 std::function<void(const Snapshot& current, const Snapshot& previous)> on_change) {
  auto store = store_;
  return core_->watch([store, range, on_change = std::move(on_change)](const hypercore::CoreEvent& e) {
    Snapshot current(store, std::max<uint64_t>(1, e.length));
    Snapshot previous(store, std::max<uint64_t>(1, e.previous_length));
    if (e.kind == hypercore::CoreEvent::Kind::truncate) {
      on_change(current, previous);  // history was rewritten: every watcher must look again
      return;
    }
    Range probe = range;
    probe.reverse = false;
    probe.limit = 1;
    auto changes = current.diff(previous.version(), probe);
    auto first = changes.next();
    // A version that cannot be read as a tree is reported rather than hidden.
    if (!first || first->has_value()) on_change(current, previous);
  });
}

}  // namespace bee
