// The calculator lab's five services written in Node.js with the plain `http` module, the way
// the course's originals were: the reference that bench/bench_node.py measures the Python
// services (services/) against. Same protocol: POST / with a plain-text body, a CRLF-ended
// text/plain reply, 404/405/411/413/400 with a message, 502 naming a failed operand service.
// Written for the bench, not for the labs: no dependencies, 127.0.0.1 by default.
//
//   node bench/node/services.js sum --port 0
//   node bench/node/services.js calculator --port 0 --sum URL --sub URL --mul URL --div URL
//
// Prints "<service>: listening on http://127.0.0.1:<port>/" on stderr once it accepts
// connections, and stops on SIGTERM/SIGINT.
"use strict";

const http = require("http");

const MAX_BODY = 4096;
const OPERATIONS = {
  sum: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};
const SERVICE_FOR_OPERATOR = { "+": "sum", "-": "sub", "*": "mul", "/": "div" };
const NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const USAGE = 'expected two numbers separated by one space, e.g. "5 6"';

function parseArgs(argv) {
  const args = { service: argv[0], host: "127.0.0.1", port: 0, timeout: 5 };
  for (let i = 1; i < argv.length; i += 2) {
    args[argv[i].replace(/^--/, "")] = argv[i + 1];
  }
  return args;
}

function crlf(text) {
  return text.split("\n").map((line) => line + "\r\n").join("");
}

function send(res, status, text, headers) {
  const body = Buffer.from(crlf(text), "utf8");
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": body.length,
    ...(headers || {}),
  });
  res.end(body);
}

function parseNumber(token) {
  if (token === "Infinity" || token === "+Infinity") return Infinity;
  if (token === "-Infinity") return -Infinity;
  if (token === "NaN") return NaN;
  if (!NUMBER.test(token)) throw new Error(`'${token}' is not a number`);
  return Number(token);
}

function operandApp(service) {
  const op = OPERATIONS[service];
  return (body) => {
    const text = body.replace(/\r?\n$/, "");
    if (!text) return [400, `empty body: ${USAGE}`];
    const fields = text.split(" ");
    if (fields.length !== 2) return [400, `${USAGE}; got ${fields.length} fields`];
    let a, b;
    try {
      a = parseNumber(fields[0]);
      b = parseNumber(fields[1]);
    } catch (err) {
      return [400, `${USAGE}; ${err.message}`];
    }
    return [200, String(op(a, b))];
  };
}

// Infix expressions: a recursive-descent parser to a tree; evaluation calls the operand
// services one operation at a time, left to right.
function parseExpression(text) {
  let pos = 0;
  const peek = () => {
    while (pos < text.length && " \t\r\n".includes(text[pos])) pos++;
    return text[pos] || "";
  };
  const fail = (what) => {
    const err = new Error(`${what} at position ${pos + 1}`);
    err.expression = true;
    throw err;
  };
  let depth = 0;
  function expression() {
    let node = term();
    for (let op = peek(); op === "+" || op === "-"; op = peek()) {
      pos++;
      node = { op, left: node, right: term() };
    }
    return node;
  }
  function term() {
    let node = unary();
    for (let op = peek(); op === "*" || op === "/"; op = peek()) {
      pos++;
      node = { op, left: node, right: unary() };
    }
    return node;
  }
  function unary() {
    const sign = peek();
    if (sign !== "-" && sign !== "+") return primary();
    pos++;
    if (++depth > 100) fail("expression nested too deep");
    const operand = unary();
    depth--;
    return sign === "-" ? { neg: operand } : operand;
  }
  function primary() {
    if (peek() === "(") {
      pos++;
      if (++depth > 100) fail("expression nested too deep");
      const node = expression();
      depth--;
      if (peek() !== ")") fail("expected ')'");
      pos++;
      return node;
    }
    const match = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(pos));
    if (!match) fail("expected a number or '('");
    pos += match[0].length;
    return { value: Number(match[0]) };
  }
  if (!text.trim()) fail("empty expression");
  const tree = expression();
  if (peek()) fail("expected an operator (+ - * /) or the end");
  return tree;
}

function callOperand(service, url, a, b, timeout) {
  return new Promise((resolve, reject) => {
    const body = `${String(a)} ${String(b)}`;
    const req = http.request(
      url,
      {
        method: "POST",
        headers: { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) },
        timeout: timeout * 1000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8").trim();
          if (res.statusCode !== 200) {
            reject(new Error(`${service} service at ${url}: HTTP ${res.statusCode}: ${text}`));
            return;
          }
          try {
            resolve(parseNumber(text));
          } catch (err) {
            reject(new Error(`${service} service at ${url}: unexpected reply '${text}'`));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeout} s`)));
    req.on("error", (err) => reject(new Error(`${service} service at ${url}: ${err.message}`)));
    req.end(body);
  });
}

async function evaluate(node, apply) {
  if (node.value !== undefined) return node.value;
  if (node.neg !== undefined) return -(await evaluate(node.neg, apply));
  const left = await evaluate(node.left, apply);
  const right = await evaluate(node.right, apply);
  return apply(node.op, left, right);
}

function calculatorApp(args) {
  const urls = {};
  for (const name of Object.keys(OPERATIONS)) {
    if (!args[name]) throw new Error(`missing --${name} URL`);
    urls[name] = args[name];
  }
  const timeout = Number(args.timeout);
  const apply = (op, a, b) => {
    const service = SERVICE_FOR_OPERATOR[op];
    return callOperand(service, urls[service], a, b, timeout);
  };
  return async (body) => {
    let tree;
    try {
      tree = parseExpression(body);
    } catch (err) {
      if (!err.expression) throw err;
      return [400, `invalid expression: ${err.message}`];
    }
    try {
      return [200, `result = ${String(await evaluate(tree, apply))}`];
    } catch (err) {
      return [502, err.message];
    }
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const app = args.service === "calculator" ? calculatorApp(args) : operandApp(args.service);
  if (!app) throw new Error(`unknown service ${args.service}`);
  const server = http.createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (path !== "/") {
      send(res, 404, `not found: '${req.url.slice(0, 100)}'; the only resource is POST /`);
      return;
    }
    if (req.method !== "POST") {
      send(res, 405, `method ${req.method} not allowed: send POST / with a plain-text body`, {
        Allow: "POST",
      });
      return;
    }
    const declared = req.headers["content-length"];
    if (declared === undefined && req.headers["transfer-encoding"] === undefined) {
      send(res, 411, "Content-Length required", { Connection: "close" });
      return;
    }
    if (declared !== undefined && Number(declared) > MAX_BODY) {
      send(res, 413, `request body too large: ${declared} bytes, limit ${MAX_BODY}`, {
        Connection: "close",
      });
      return;
    }
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", async () => {
      if (size > MAX_BODY) {
        send(res, 413, `request body too large: over ${MAX_BODY} bytes`, { Connection: "close" });
        return;
      }
      const [status, text] = await app(Buffer.concat(chunks).toString("utf8"));
      send(res, status, text);
    });
  });
  server.listen(Number(args.port), args.host, () => {
    const { port } = server.address();
    process.stderr.write(`${args.service}: listening on http://${args.host}:${port}/\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
