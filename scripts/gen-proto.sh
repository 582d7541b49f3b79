#!/usr/bin/env bash
# Compiles proto/pegzone/**/*.proto with protobufjs into proto/gen/ (static code + TypeScript
# declarations), and places the code where the compiled dist/ tree requires it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p proto/gen dist/proto/gen
mapfile -t files < <(find proto/pegzone -name '*.proto' | sort)
npx pbjs --target static-module --wrap commonjs --force-number --no-delimited --no-service --path proto --out proto/gen/pegzone.js "${files[@]}"
npx pbts --out proto/gen/pegzone.d.ts proto/gen/pegzone.js
cp proto/gen/pegzone.js dist/proto/gen/pegzone.js
