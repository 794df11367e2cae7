#!/usr/bin/env bash
# The main job on the example service, as far as Go Deploy goes today: install, build,
# inspect the module, validate its godeploy.yaml and show the deployment files it generates.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build >/dev/null
godeploy() { node dist/cli.js "$@"; }
echo "\$ godeploy -C examples/hello inspect"; godeploy -C examples/hello inspect
echo; echo "\$ godeploy -C examples/hello validate"; godeploy -C examples/hello validate
echo; echo "\$ godeploy -C examples/hello generate systemd --stdout"; godeploy -C examples/hello generate systemd --stdout
echo; echo "\$ godeploy -C examples/hello generate all --dry-run"; godeploy -C examples/hello generate all --dry-run
cat <<MSG

Open the same workspace in VS Code with the extension loaded from this checkout:
  code --extensionDevelopmentPath="$PWD" "$PWD/examples/hello"
(or, on a machine without a desktop, code-server; see "Tests" in README.md)
MSG
