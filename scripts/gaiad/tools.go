//go:build tools

// Package tools only exists so that `go mod tidy` keeps gaiad's dependencies in go.mod and go.sum;
// scripts/install-deps.sh builds github.com/cosmos/gaia/v25/cmd/gaiad from this folder.
package tools

import _ "github.com/cosmos/gaia/v25/cmd/gaiad"
