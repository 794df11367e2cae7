#!/usr/bin/env bash
# The main job on the example service: install, build, inspect the module, validate its
# godeploy.yaml, show the deployment files it generates, then deploy it to this machine
# (environment dev, type local: a release under ~/.local/share/godeploy/hello, health-gated),
# show its status and stop it again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build >/dev/null
godeploy() { node dist/cli.js "$@"; }
echo "\$ godeploy -C examples/hello inspect"; godeploy -C examples/hello inspect
echo; echo "\$ godeploy -C examples/hello validate"; godeploy -C examples/hello validate
echo; echo "\$ godeploy -C examples/hello generate systemd --stdout"; godeploy -C examples/hello generate systemd --stdout
echo; echo "\$ godeploy -C examples/hello generate all --dry-run"; godeploy -C examples/hello generate all --dry-run
if command -v go >/dev/null; then
  echo; echo "\$ godeploy -C examples/hello deploy dev"; godeploy -C examples/hello deploy dev
  echo; echo "\$ godeploy -C examples/hello status dev"; godeploy -C examples/hello status dev
  echo; echo "\$ curl -s http://127.0.0.1:8080/"; curl -s http://127.0.0.1:8080/ || true
  pid=$(cat "$HOME/.local/share/godeploy/hello/shared/hello.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" && echo "(stopped the example service, pid $pid)"
else
  echo; echo "(install Go to deploy the example to this machine: godeploy -C examples/hello deploy dev)"
fi
cat <<MSG

Open the same workspace in VS Code with the extension loaded from this checkout:
  code --extensionDevelopmentPath="$PWD" "$PWD/examples/hello"
(or, on a machine without a desktop, code-server; see "Tests" in CONTRIBUTING.md)
MSG
