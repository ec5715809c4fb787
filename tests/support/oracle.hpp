// Runs the Node.js reference (tests/oracle, installed by scripts/setup.sh into
// .cache/oracle) and our own Node test scripts (tests/interop/*.js), capturing stdout.
// A missing reference is a test failure, never a skip: interop is the point.
#pragma once

#include <string>
#include <vector>

#include "hypercore/error.hpp"

namespace bee_test {

// Folder of the installed reference: $BEE_ORACLE_DIR, else <source>/.cache/oracle.
std::string oracle_dir();

// Runs `node <script> args...` with NODE_PATH pointing at the reference's node_modules.
// `script` is relative to the oracle folder ("vectors.js") or absolute. `stdin_text` is
// fed to the process. Fails with the exit status and stderr on a non-zero exit.
hypercore::Result<std::string> run_node(const std::string& script, const std::vector<std::string>& args,
                                        const std::string& stdin_text = "");

// Absolute path of a file in tests/interop.
std::string interop_script(const std::string& name);

// Runs any command (argv[0] looked up in PATH) and captures stdout, with stdin_text fed in.
struct ProcessResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                          const std::vector<std::string>& extra_env = {});

}  // namespace bee_test
