// The peer mock-idp is measured beside in `cargo xtask bench` (item 4): the npm package
// oauth2-mock-server, pinned in oauth2-mock-server/package.json and its lock file, over
// HTTPS with the certificate the bench generated, with one RS256 signing key (RSA 2048).
// Its token endpoint, /token, answers a password grant with a signed access token and a
// signed id token, as mock-idp does.
//
// Usage: node oauth2_mock_server.mjs --modules DIR --key key.pem --cert cert.pem
// Prints one JSON line, {"url": "https://localhost:PORT", "version": "..."}, once it
// listens; runs until killed.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

function option(name) {
  const at = process.argv.indexOf(name);
  if (at < 0 || at + 1 >= process.argv.length) {
    console.error(`oauth2_mock_server.mjs: ${name} is required`);
    process.exit(2);
  }
  return process.argv[at + 1];
}

const modules = option("--modules");
const key = option("--key");
const cert = option("--cert");

const require = createRequire(path.join(modules, "package.json"));
const entry = require.resolve("oauth2-mock-server");
const { OAuth2Server } = await import(pathToFileURL(entry).href);
const { version } = JSON.parse(
  readFileSync(path.join(modules, "oauth2-mock-server", "package.json"), "utf8"),
);

const server = new OAuth2Server(key, cert);
await server.issuer.keys.generate("RS256");
await server.start(0, "localhost");
const { port } = server.address();
process.stdout.write(
  JSON.stringify({ url: `https://localhost:${port}`, version }) + "\n",
);
