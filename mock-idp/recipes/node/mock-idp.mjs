// Runs mock-idp, an HTTPS mock of Microsoft Entra ID, for a test file.
// The binary is $MOCK_IDP_BIN, or `mock-idp` on PATH (`cargo install mock-idp`).

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import https from "node:https";
import { createInterface } from "node:readline";

/** Starts mock-idp on a free port: `{ baseUrl, caPath, caPem, authority(tenant), stop() }`. */
export async function startMockIdp() {
    const binary = process.env.MOCK_IDP_BIN || "mock-idp";
    const child = spawn(binary, ["--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("close", resolve));
    const failed = new Promise((_, reject) => {
        child.once("error", reject);
        exited.then((code) => reject(new Error(`mock-idp exited (${code}) before printing its address`)));
    });
    // Its stdout contract: the base URL on the first line (printed once it is bound), the
    // CA certificate's path on the second. Reading goes on, so the pipe never fills.
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (prefix) => {
        const { value } = await Promise.race([lines.next(), failed]);
        if (!value?.startsWith(prefix)) {
            throw new Error(`mock-idp printed ${JSON.stringify(value)}, expected ${prefix}...`);
        }
        return value.slice(prefix.length).trim();
    };
    try {
        const baseUrl = await next("mock-idp listening on ");
        const caPath = await next("CA certificate: ");
        (async () => {
            for await (const _ of { [Symbol.asyncIterator]: () => lines });
        })().catch(() => {});
        return {
            baseUrl,
            caPath,
            caPem: readFileSync(caPath, "utf8"),
            authority: (tenant = "organizations") => `${baseUrl}/${tenant}`,
            stop: async () => {
                child.kill("SIGTERM");
                await exited;
            },
        };
    } catch (err) {
        child.kill("SIGKILL");
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
