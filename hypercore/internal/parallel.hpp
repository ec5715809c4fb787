// Splits independent work (the leaf hashes of a large append) across the caller and one
// persistent background thread, so a batch costs about half the wall time on two cores.
// When the worker is busy with another caller, or the machine has one core, the caller
// simply does everything itself.
#pragma once

#include <cstddef>
#include <functional>

namespace hypercore::internal {

// Calls fn(begin, end) over [0, n) in up to two parts, one of them on the worker thread.
// Returns when both parts are done. `fn` must be safe to run concurrently on disjoint ranges.
void parallel_ranges(size_t n, size_t min_parallel, const std::function<void(size_t, size_t)>& fn);

}  // namespace hypercore::internal
