// The offline-first todo list: every device keeps its own copy in a folder, adds and ticks
// off items while offline, and converges with the others when they meet (over TCP here;
// a multi::Group works the same over WebSocket or the Swarm). One group, one writer log
// per device, last writer wins per item on hybrid logical clocks.
//
//   todo new   DIR                   start a list; prints its key
//   todo join  DIR KEY               join one; prints this device's key
//   todo invite DIR DEVICE_KEY       let that device write
//   todo add   DIR TEXT...           add an item; prints its id
//   todo done  DIR ID                tick it off
//   todo list  DIR                   "[x] ID TEXT" lines, in id order
//   todo serve DIR PORT SECONDS      let others sync with this device for a while
//   todo sync  DIR HOST:PORT         exchange everything with a device that serves
#include <cstdio>
#include <random>
#include <string>

#include "hypercore/bytes.hpp"
#include "multi/group.hpp"
#include "net/transport/event_loop.hpp"
#include "net/multi/group_node.hpp"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "todo: %s\n", what.c_str());
  return 1;
}

std::string text(const hypercore::Bytes& b) { return std::string(b.begin(), b.end()); }

// An item is "todo/<id>" -> "<0|1> <text>": done flag, then the text.
int add(multi::Group& g, const std::string& item) {
  std::random_device rd;
  char id[17];
  std::snprintf(id, sizeof id, "%08x%08x", rd(), rd());
  std::string key = "todo/" + std::string(id), value = "0 " + item;
  auto put = g.put(hypercore::as_bytes(key), hypercore::as_bytes(value));
  if (!put) return fail(put.error().to_string());
  std::printf("%s\n", id);
  return 0;
}

int done(multi::Group& g, const std::string& id) {
  std::string name = "todo/" + id;
  auto key = hypercore::as_bytes(name);
  auto values = g.get(key);
  if (!values) return fail(values.error().to_string());
  if (values->empty() || !values->back().value) return fail("no item " + id);
  std::string item = text(*values->back().value);
  item[0] = '1';
  auto put = g.put(key, hypercore::as_bytes(item));
  return put ? 0 : fail(put.error().to_string());
}

int list(multi::Group& g) {
  multi::KvRange r;
  r.gte = hypercore::to_bytes("todo/");
  r.lt = hypercore::to_bytes("todo0");  // '0' follows '/'
  auto it = g.range(r);
  if (!it) return fail(it.error().to_string());
  for (;;) {
    auto kv = it->next();
    if (!kv) return fail(kv.error().to_string());
    if (!*kv) return 0;
    std::string item = text(*(*kv)->values.back().value);
    std::printf("[%c] %s %s\n", item[0] == '1' ? 'x' : ' ', text((*kv)->key).substr(5).c_str(), item.substr(2).c_str());
  }
}

int network(multi::Group& g, net::multi::GroupNodeOptions options, int seconds, bool until_synced) {
  net::EventLoop loop;
  bool synced = false;
  net::multi::GroupNode* node_ptr = nullptr;
  options.on_event = [&](const net::multi::GroupNodeEvent& e) {
    if (e.kind == net::multi::GroupNodeEvent::Kind::synced) {
      std::fprintf(stderr, "todo: in sync with %s\n", e.remote.c_str());
      synced = true;
      if (until_synced && node_ptr) {
        node_ptr->stop();
        loop.cancel_waits();  // the deadline timer too: the loop ends once the connection has
      }
    }
  };
  auto node = net::multi::start_group_node(loop.context(), g, std::move(options));
  if (!node) return fail(node.error().to_string());
  node_ptr = node->get();
  if (!until_synced) {
    std::printf("serving on port %u\n", static_cast<unsigned>((*node)->port()));
    std::fflush(stdout);
  }
  loop.after(std::chrono::seconds(seconds), [&] {
    (*node)->stop();
    loop.cancel_waits();
  });
  while (!loop.run_for(std::chrono::seconds(1))) {
  }
  if (until_synced && !synced) return fail("no sync within " + std::to_string(seconds) + " s");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return fail("usage: todo new|join|invite|add|done|list|serve|sync DIR ...");
  std::string cmd = argv[1], dir = argv[2];
  if (cmd == "new") {
    auto g = multi::Group::create(dir);
    if (!g) return fail(g.error().to_string());
    std::printf("%s\n", hypercore::to_hex((*g)->key()).c_str());
    return 0;
  }
  if (cmd == "join" && argc == 4) {
    auto key = hypercore::hash_from_hex(argv[3]);
    if (!key) return fail("KEY is 64 hex digits");
    auto g = multi::Group::join(dir, *key);
    if (!g) return fail(g.error().to_string());
    std::printf("%s\n", hypercore::to_hex((*g)->local_writer()).c_str());
    return 0;
  }
  auto g = multi::Group::open(dir);
  if (!g) return fail(g.error().to_string());
  if (auto caught = (*g)->catch_up(); !caught) return fail(caught.error().to_string());
  if (cmd == "invite" && argc == 4) {
    auto key = hypercore::hash_from_hex(argv[3]);
    if (!key) return fail("DEVICE_KEY is 64 hex digits");
    auto added = (*g)->add_writer(*key);
    return added ? 0 : fail(added.error().to_string());
  }
  if (cmd == "add" && argc >= 4) {
    std::string item = argv[3];
    for (int i = 4; i < argc; ++i) item += std::string(" ") + argv[i];
    return add(**g, item);
  }
  if (cmd == "done" && argc == 4) return done(**g, argv[3]);
  if (cmd == "list") return list(**g);
  if (cmd == "serve" && argc == 5) {
    net::multi::GroupNodeOptions o;
    o.port = static_cast<uint16_t>(std::stoi(argv[3]));
    return network(**g, std::move(o), std::stoi(argv[4]), false);
  }
  if (cmd == "sync" && argc == 4) {
    std::string address = argv[3];
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return fail("sync needs HOST:PORT");
    net::multi::GroupNodeOptions o;
    o.listen = false;
    o.connect.push_back(net::TcpPeer{address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1)))});
    return network(**g, std::move(o), 30, true);
  }
  return fail("unknown command or wrong arguments: " + cmd);
}
