// Runs mock-idp, an HTTPS mock of Microsoft Entra ID, for a test file.
// The binary is $MOCK_IDP_BIN, or `mock-idp` on PATH (`cargo install mock-idp`).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Starts mock-idp on a free port: `{ baseUrl, caPath, caPem, authority(tenant), stop() }`. */
export async function startMockIdp() {
    const binary = process.env.MOCK_IDP_BIN || "mock-idp";
    const dir = mkdtempSync(join(tmpdir(), "mock-idp-"));
    const child = spawn(binary, ["--port", "0", "--ca-out", join(dir, "ca.pem")], {
        stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("close", resolve));
    // Its stdout contract: the base URL on the first line (printed once it is bound), the
    // CA certificate's path on the second. The rest is read and dropped, so the pipe
    // never fills.
    const firstLines = new Promise((resolve, reject) => {
        let text = "";
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (chunk) => {
            if (text === null) return;
            text += chunk;
            const lines = text.split("\n");
            if (lines.length > 2) {
                text = null;
                resolve(lines.slice(0, 2));
            }
        });
        child.once("error", reject);
        exited.then((code) => reject(new Error(`mock-idp exited (${code}) before printing its address`)));
    });
    const stop = async () => {
        if (child.pid !== undefined) {
            child.kill("SIGTERM");
            await exited;
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        const [listening, ca] = await firstLines;
        const value = (line, prefix) => {
            if (!line.startsWith(prefix)) {
                throw new Error(`mock-idp printed ${JSON.stringify(line)}, expected ${prefix}...`);
            }
            return line.slice(prefix.length).trim();
        };
        const baseUrl = value(listening, "mock-idp listening on ");
        const caPath = value(ca, "CA certificate: ");
        return {
            baseUrl,
            caPath,
            caPem: readFileSync(caPath, "utf8"),
            authority: (tenant = "organizations") => `${baseUrl}/${tenant}`,
            stop,
        };
    } catch (err) {
        await stop();
        throw err;
    }
}

/**
 * A network client for MSAL Node's `system.networkClient` that trusts `caPem`: Node reads
 * NODE_EXTRA_CA_CERTS only at start-up, before the test has started mock-idp.
 */
export function networkClient(caPem) {
    const send = (url, method, options = {}) =>
        new Promise((resolve, reject) => {
            const request = https.request(url, { method, headers: options.headers, ca: caPem }, (response) => {
                let text = "";
                response.setEncoding("utf8");
                response.on("data", (chunk) => (text += chunk));
                response.on("end", () => {
                    try {
                        resolve({ headers: response.headers, body: JSON.parse(text), status: response.statusCode });
                    } catch (err) {
                        reject(err);
                    }
                });
            });
            request.on("error", reject);
            request.end(method === "POST" ? (options.body ?? "") : undefined);
        });
    return {
        sendGetRequestAsync: (url, options) => send(url, "GET", options),
        sendPostRequestAsync: (url, options) => send(url, "POST", options),
    };
}
