// One error model (hypercore/error.hpp): every module's errors are BasicError<its errc>,
// every errc has an error_category whose messages are its stable names, and the fields
// callers act on (the missing block, the wrapped cause) are structured.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "hypercore/core.hpp"
#include "hypercore/error.hpp"
#include "net/remote/remote_bee.hpp"
#include "net/replication/replicator.hpp"
#include "net/stream/stream_error.hpp"
#include "net/transport/transport.hpp"

namespace {

// Every code from 1 up to `last` has its own name, which is also its category's message.
template <class Errc>
void expect_named_codes(Errc last, const char* category) {
  std::set<std::string> names;
  for (int v = 1; v <= static_cast<int>(last); ++v) {
    auto code = static_cast<Errc>(v);
    std::string name = errc_name(code);
    EXPECT_NE(name.find("unknown"), 0u) << category << " code " << v;
    EXPECT_TRUE(names.insert(name).second) << category << ": " << name << " twice";
    std::error_code ec = make_error_code(code);
    EXPECT_STREQ(ec.category().name(), category);
    EXPECT_EQ(ec.message(), name);
    EXPECT_EQ(ec, code);  // is_error_code_enum: compares with the enum directly
    hypercore::BasicError<Errc> error{code, "what failed"};
    EXPECT_EQ(error.to_string(), name + ": what failed");
    EXPECT_EQ(error.error_code(), ec);
  }
}

TEST(ErrorModel, EveryModuleHasNamedCodesInItsOwnCategory) {
  using hypercore::errc;
  expect_named_codes(errc::timeout, "hypercore");
  expect_named_codes(net::StreamErrc::closed, "secret_stream");
  expect_named_codes(net::TransportErrc::stopped, "transport");
  expect_named_codes(net::ReplicationErrc::storage_failed, "replication");
  expect_named_codes(net::RemoteQueryErrc::read_failed, "remote_query");
  // Same value, other module: not equal.
  EXPECT_NE(make_error_code(errc::invalid_argument), make_error_code(net::StreamErrc::handshake_failed));
}

TEST(ErrorModel, FailBuildsTheModulesError) {
  hypercore::Result<int, net::TransportError> r = hypercore::fail(net::TransportErrc::connect_failed, "refused");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, net::TransportErrc::connect_failed);
  EXPECT_EQ(r.error().to_string(), "connect_failed: refused");
  EXPECT_FALSE(r.error().block);
  EXPECT_FALSE(r.error().cause);
}

TEST(ErrorModel, AMissingBlockIsNamedByIndexNotByMessage) {
  auto writer = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  ASSERT_TRUE(writer) << writer.error().to_string();
  ASSERT_TRUE((*writer)->append(hypercore::as_bytes("a")));
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), (*writer)->key());
  ASSERT_TRUE(replica) << replica.error().to_string();
  auto got = (*replica)->get(17);  // beyond the length the replica knows
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, hypercore::errc::block_not_available);
  ASSERT_TRUE(got.error().block);
  EXPECT_EQ(*got.error().block, 17u);
  // A writer's own read past its end is out_of_range, about no stored block.
  auto past = (*writer)->get(5);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, hypercore::errc::out_of_range);
}

TEST(ErrorModel, RemoteErrorsMapToHypercoreCodesKeepingCauseAndBlock) {
  using net::RemoteQueryErrc;
  // Without a cause: the default mapping, the remote code's name kept in the message.
  hypercore::Error e = net::to_hypercore_error({RemoteQueryErrc::request_timeout, "deadline passed", 9});
  EXPECT_EQ(e.code, hypercore::errc::timeout);
  EXPECT_EQ(e.message, "request_timeout: deadline passed");
  ASSERT_TRUE(e.block);
  EXPECT_EQ(*e.block, 9u);
  EXPECT_EQ(net::to_hypercore_error({RemoteQueryErrc::block_not_available, "x"}).code,
            hypercore::errc::block_not_available);
  EXPECT_EQ(net::to_hypercore_error({RemoteQueryErrc::request_failed, "x"}).code, hypercore::errc::io_error);
  EXPECT_EQ(net::to_hypercore_error({RemoteQueryErrc::read_failed, "x"}).code, hypercore::errc::corrupt);
  // A hypercore cause wins; a cause of another category does not name a hypercore code.
  net::RemoteQueryError refused{.code = RemoteQueryErrc::request_failed, .message = "connect", .cause = hypercore::errc::not_found};
  EXPECT_EQ(net::to_hypercore_error(refused).code, hypercore::errc::not_found);
  net::RemoteQueryError other{.code = RemoteQueryErrc::read_failed, .message = "x", .cause = net::TransportErrc::io_error};
  EXPECT_EQ(net::to_hypercore_error(other).code, hypercore::errc::corrupt);
}

}  // namespace
