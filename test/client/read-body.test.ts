import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ConsoleClient, ConsoleUnreachableError } from "../../src/client/console-client.js";
import { readBodyCapped } from "../../src/client/read-body.js";
import type { TransportKind } from "../../src/client/transport.js";

const tooLarge = () => new Error("too large");

describe("readBodyCapped", () => {
  it("joins the chunks, a character split across two of them included", async () => {
    const bytes = Buffer.from('{"name":"Zoë Ünal"}');
    const at = bytes.indexOf(0xc3) + 1; // inside the two bytes of ë
    const text = await readBodyCapped(
      Readable.from([bytes.subarray(0, at), bytes.subarray(at)]),
      100,
      tooLarge,
    );
    expect(JSON.parse(text)).toEqual({ name: "Zoë Ünal" });
  });

  it("reads an empty body as the empty string", async () => {
    expect(await readBodyCapped(Readable.from([]), 100, tooLarge)).toBe("");
  });

  it("refuses a body past the cap with the caller's error, and reads one at the cap", async () => {
    await expect(
      readBodyCapped(Readable.from([Buffer.alloc(6), Buffer.alloc(5)]), 10, tooLarge),
    ).rejects.toThrow("too large");
    expect(
      await readBodyCapped(Readable.from([Buffer.alloc(6), Buffer.alloc(4)]), 10, tooLarge),
    ).toHaveLength(10);
  });

  it("fails with the stream's error, and a later error does not escape", async () => {
    const body = new PassThrough();
    const reading = readBodyCapped(body, 100, tooLarge);
    body.write("{");
    body.destroy(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }));
    await expect(reading).rejects.toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(body.listenerCount("error")).toBeGreaterThan(0);
  });

  it("fails with ERR_STREAM_PREMATURE_CLOSE when the body closes before its end", async () => {
    const body = new PassThrough();
    const reading = readBodyCapped(body, 100, tooLarge);
    body.write("{");
    body.destroy();
    await expect(reading).rejects.toMatchObject({ code: "ERR_STREAM_PREMATURE_CLOSE" });
  });

  it("fails at once on a body already destroyed", async () => {
    const failed = new PassThrough();
    failed.on("error", () => {});
    failed.destroy(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
    await expect(readBodyCapped(failed, 100, tooLarge)).rejects.toMatchObject({ code: "ECONNRESET" });
    const closed = new PassThrough();
    closed.destroy();
    await expect(readBodyCapped(closed, 100, tooLarge)).rejects.toMatchObject({
      code: "ERR_STREAM_PREMATURE_CLOSE",
    });
  });
});

describe("a body cut off by the console, over a real socket", () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  /** Answers the first `cut` requests with half a body and a closed socket, then whole answers. */
  async function cutting(cut: number): Promise<{ url: string; served: () => number }> {
    let n = 0;
    server = createServer((req, res) => {
      n += 1;
      const body = JSON.stringify({ revision: 7, pad: "x".repeat(2000) });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      if (n <= cut) {
        res.write(body.slice(0, 100));
        setTimeout(() => req.socket.destroy(), 20);
      } else res.end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served: () => n };
  }

  for (const transport of ["undici", "node-http"] as TransportKind[]) {
    it(`retries a GET whose body was cut, then reads the whole answer (${transport})`, async () => {
      const console_ = await cutting(1);
      const client = new ConsoleClient({
        endpoint: console_.url,
        token: "t",
        transport,
        sleep: async () => {},
      });
      try {
        const result = await client.request<{ revision: number }>("GET", "/v1/org");
        expect(result.body.revision).toBe(7);
        expect(console_.served()).toBe(2);
      } finally {
        await client.close();
      }
    });

    it(`reports a body cut on every attempt as an unreachable console (${transport})`, async () => {
      const console_ = await cutting(100);
      const client = new ConsoleClient({
        endpoint: console_.url,
        token: "t",
        transport,
        retries: 1,
        sleep: async () => {},
      });
      try {
        await expect(client.request("GET", "/v1/org")).rejects.toBeInstanceOf(ConsoleUnreachableError);
        expect(console_.served()).toBe(2);
      } finally {
        await client.close();
      }
    });
  }
});
