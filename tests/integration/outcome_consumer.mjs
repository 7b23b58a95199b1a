// A sequencing tool's consumer in another language: Node with a raw RESP socket, no client library.
// Usage: node outcome_consumer.mjs HOST PORT [STREAM]
// Reads every event on the stream with XREAD and prints one JSON object per line: {id, event}.
import net from "node:net";

const [host, port, stream = "docshield:outcomes"] = process.argv.slice(2);

function command(...args) {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

// Parses one RESP value from buf at pos; returns [value, nextPos] or null when incomplete.
function parse(buf, pos) {
  const end = buf.indexOf("\r\n", pos);
  if (end < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString("utf8", pos + 1, end);
  const next = end + 2;
  if (type === "+") return [line, next];
  if (type === "-") throw new Error(`redis error: ${line}`);
  if (type === ":") return [Number(line), next];
  if (type === "$") {
    const len = Number(line);
    if (len < 0) return [null, next];
    if (buf.length < next + len + 2) return null;
    return [buf.toString("utf8", next, next + len), next + len + 2];
  }
  if (type === "*") {
    const count = Number(line);
    if (count < 0) return [null, next];
    const items = [];
    let at = next;
    for (let i = 0; i < count; i++) {
      const item = parse(buf, at);
      if (item === null) return null;
      items.push(item[0]);
      at = item[1];
    }
    return [items, at];
  }
  throw new Error(`unknown RESP type ${type}`);
}

const socket = net.createConnection({ host, port: Number(port) });
let buf = Buffer.alloc(0);
let last = "0";
const seen = [];

function ask() {
  socket.write(command("XREAD", "COUNT", "100", "STREAMS", stream, last));
}

socket.on("connect", ask);
socket.on("data", (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  const parsed = parse(buf, 0);
  if (parsed === null) return;
  buf = buf.subarray(parsed[1]);
  const reply = parsed[0];
  if (reply === null) {  // nothing after `last`: done
    for (const entry of seen) process.stdout.write(JSON.stringify(entry) + "\n");
    socket.end();
    return;
  }
  for (const [, entries] of reply) {
    for (const [id, fields] of entries) {
      const record = {};
      for (let i = 0; i < fields.length; i += 2) record[fields[i]] = fields[i + 1];
      seen.push({ id, event: JSON.parse(record.event) });
      last = id;
    }
  }
  ask();
});
socket.on("error", (err) => { process.stderr.write(String(err) + "\n"); process.exit(1); });
