#!/usr/bin/env bash
# The whole test suite: set-up, lint, typecheck, build, then every test file
# (unit, integration, end-to-end) in one `node --test` run.
#
# Set-up it does itself: Debian packages the tests need (chromium, ...) when missing.
# Network: tests run inside a fresh network namespace that has only loopback
# (`unshare --net`), so no test can reach any other address; browsers live there too.
# Extra arguments are passed to `node --test` (e.g. a file path to run only that file).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

need_pkgs=()
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
fc-list 2>/dev/null | grep -qi dejavu || need_pkgs+=(fonts-dejavu-core)
# coturn: turnserver and the turnutils_* clients for the TURN interop tests (e2e/interop/).
{ command -v turnserver && command -v turnutils_uclient; } >/dev/null 2>&1 || need_pkgs+=(coturn)
# janus: the SFU benchmark's reference (Janus VideoRoom), run by its smoke test (e2e/bench-smoke.test.ts).
command -v janus >/dev/null 2>&1 || need_pkgs+=(janus)
# ip (iproute2) brings up loopback inside the tests' network namespace and builds the
# namespace labs (e2e/harness/netns.ts); iptables makes their NATs.
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables)
# OpenSSL's s_client/s_server are the independent DTLS peers of the SFU's DTLS interop test.
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  step "installing Debian packages: ${need_pkgs[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
    # The tests start their own turnserver and janus on 127.0.0.1; the packages' system
    # services (coturn: port 3478 on every interface) are not wanted.
    if command -v systemctl >/dev/null 2>&1; then
      for svc in coturn janus; do
        if [[ " ${need_pkgs[*]} " == *" $svc "* ]]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
      done
    fi
  else
    echo "not root: install ${need_pkgs[*]} yourself (sudo apt-get install ${need_pkgs[*]})" >&2
    exit 1
  fi
fi

step "node $(node --version)"
case "$(node --version)" in v2[6-9]*|v[3-9][0-9]*) ;; *) echo "need Node >= 26 (run through npm: npm test)" >&2; exit 1;; esac

step lint
npx biome ci .

step typecheck
npm run --silent typecheck

step "build web app"
npm run --silent build >/dev/null

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=('packages/*/src/**/*.test.ts' 'e2e/**/*.test.ts')
fi

step "tests (in a loopback-only network namespace)"
run_tests=(node --test --test-concurrency=1 --test-timeout=300000 "${files[@]}")
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
  exec unshare --net -- bash -c 'ip link set lo up && exec "$@"' _ "${run_tests[@]}"
else
  echo "warning: cannot create a network namespace (not root?); running tests in the host namespace" >&2
  exec "${run_tests[@]}"
fi
