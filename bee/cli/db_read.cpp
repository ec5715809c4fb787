#include "bee/cli/db_read.hpp"

#include <utility>

#include "bee/entry_json.hpp"

namespace bee::cli {

using hypercore::errc;

namespace {

// Built by appending: g++ 12 at -O2 warns falsely (-Wrestrict) on "literal" + std::string.
std::string entry_text(const DbEntry& e, const DbOptions& o) {
  std::string line = natural_to_text(o.key_encoding, e.key);
  if (e.value) line.append("\t").append(natural_to_text(o.value_encoding, *e.value));
  return line.append("\n");
}

std::expected<int64_t, std::string> limit_option(const Invocation& inv) {
  auto limit = inv.args.value("limit");
  if (!limit) return -1;
  auto n = parse_int(*limit);
  if (!n) return std::unexpected("--limit must be a number, got '" + *limit + "'");
  return *n;
}

}  // namespace

std::expected<DbRange, std::string> key_range_option(const Invocation& inv, const DbOptions& options) {
  DbRange range;
  for (auto [name, field] : {std::pair{"gt", &range.gt}, {"gte", &range.gte}, {"lt", &range.lt}, {"lte", &range.lte}}) {
    auto text = inv.args.value(name);
    if (!text) continue;
    auto key = natural_from_arg(options.key_encoding, *text, std::string("--") + name);
    if (!key) return std::unexpected(key.error());
    *field = std::move(*key);
  }
  range.reverse = inv.args.has("reverse");
  auto limit = limit_option(inv);
  if (!limit) return std::unexpected(limit.error());
  range.limit = *limit;
  return range;
}

std::expected<HistoryRange, std::string> history_range_option(const Invocation& inv) {
  HistoryRange range;
  for (auto [name, field] : {std::pair{"gt", &range.gt}, {"gte", &range.gte}, {"lt", &range.lt}, {"lte", &range.lte}}) {
    auto text = inv.args.value(name);
    if (!text) continue;
    auto n = parse_int(*text);
    if (!n) return std::unexpected(std::string("--") + name + " must be a seq (negative: from the end), got '" + *text + "'");
    *field = *n;
  }
  range.reverse = inv.args.has("reverse");
  auto limit = limit_option(inv);
  if (!limit) return std::unexpected(limit.error());
  range.limit = *limit;
  return range;
}

std::string entry_line(const DbEntry& entry, const DbOptions& options) {
  if (options.json) return entry_json(entry, options.key_encoding, options.value_encoding) + "\n";
  return entry_text(entry, options);
}

std::string history_line(const DbHistoryEntry& e, const DbOptions& options) {
  if (options.json) return entry_json(e.entry, options.key_encoding, options.value_encoding, e.type) + "\n";
  return std::to_string(e.entry.seq) + (e.type == HistoryEntry::Type::put ? "\tput\t" : "\tdel\t") +
         entry_text(e.entry, options);
}

int print_get_result(const Invocation& inv, const std::optional<DbEntry>& entry, const DbOptions& options,
                     const std::string& key_arg) {
  if (options.json) {
    print(entry_json(entry, options.key_encoding, options.value_encoding) + "\n");
    return kExitOk;
  }
  if (!entry) return report_error(inv, {errc::not_found, "no key '" + key_arg + "'"});
  if (entry->value) print(natural_to_text(options.value_encoding, *entry->value) + "\n");
  return kExitOk;
}

}  // namespace bee::cli
