#!/usr/bin/env bash
# Proves the packages work for someone else (docs/operations.md, "Packages"): pack core, server,
# sandbox and cli, install the tarballs into a scratch project outside the repo, then
#   (a) a plain `node consumer.mjs` imports @paystate/core and takes an order through decide,
#   (b) a .ts consumer typechecks with `strict` against the shipped .d.ts files,
#   (c) the installed `paystate --version` and `paystate demo` work.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/paystate-consumer.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

npm run build --prefix "$repo" --silent # up to date after `npm ci`: a no-op then
for package in core server sandbox cli; do
  (cd "$repo/packages/$package" && npm pack --silent --pack-destination "$scratch" >/dev/null)
done
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }

cd "$scratch"
cp "$repo/scripts/consumer/consumer.mjs" "$repo/scripts/consumer/consumer.ts" "$repo/scripts/consumer/tsconfig.json" .
printf '{ "name": "paystate-consumer", "private": true, "type": "module" }\n' > package.json
# The tarballs satisfy each other's exact "0.1.0" ranges, so nothing named @paystate comes from the registry.
# better-sqlite3 would compile from source here (about two minutes on CI); the repo's node_modules
# holds the same pinned version built for this Node, so the install skips scripts and reuses it.
npm install --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error ./paystate-*.tgz \
  "typescript@$(version_of typescript)" "@types/node@$(version_of @types/node)"
test "$(node -p "require('./node_modules/better-sqlite3/package.json').version")" = "$(version_of better-sqlite3)"
cp -R "$repo/node_modules/better-sqlite3/build" node_modules/better-sqlite3/

node consumer.mjs
npx tsc -p tsconfig.json
echo "consumer.ts: typechecks (strict) against the shipped .d.ts"
test "$(npx paystate --version)" = "$(node -p "require('$repo/packages/cli/package.json').version")"
echo "paystate --version: $(npx paystate --version)"
npx paystate demo >demo.log 2>&1 || { cat demo.log; exit 1; }
tail -n 3 demo.log
