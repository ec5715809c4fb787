// Keeps the library non-empty until the first protocol sources land; removed with them.
namespace net {
int wire_module_version() { return 1; }
}  // namespace net
