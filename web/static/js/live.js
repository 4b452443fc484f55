/*
 * live.js: keep a screen's rooms current over Socket.IO (see docs/realtime.md).
 *
 * A room's state is its last snapshot plus the numbered updates after it; a gap, a new epoch
 * or a reconnect fetches a fresh snapshot. The page loads socket.io-client's ES build through
 * this module; which refusals are final comes from the server's generated module.
 *
 *   import { connect } from "/static/js/live.js";
 *   const live = connect({
 *     namespace: "/desk",                 // "/board", "/console", "/desk" or "/patient"
 *     auth: {department_id: 1},           // the namespace's connect auth (cookie goes by itself)
 *     onHello(hello) {},                  // who we are, which rooms, display settings
 *     onState(room, data, events, meta) {},  // draw `data`; `events` say what just happened
 *     onStatus(status, detail) {},        // "connecting" | "online" | "degraded" | "offline"
 *                                         // | "refused"; "degraded": only this server's updates
 *   });
 *   live.data(room); live.rooms(); live.close();
 */
import { io } from "/vendor/socket.io-client/dist/socket.io.esm.min.js";
import { FINAL_REFUSALS } from "/static/generated/server.js";

// Refusals that retrying cannot fix: stop and say so.
const FINAL = new Set(FINAL_REFUSALS);
const MAX_BUFFER = 50;      // updates kept while a snapshot is on its way
const RESYNC_RETRY_MS = 5000;
const RETRY_MS = 5000;
const JOIN_RETRY_MS = 2000;
const noop = () => {};

/** Connect to a namespace and keep its rooms' state; see the comment above for the options. */
export function connect({ namespace, auth = {}, onHello = noop, onState = noop, onStatus = noop }) {
  const socket = io(namespace, {
    transports: ["websocket"],
    auth,
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10000,
  });
  const rooms = new Map(); // room -> {epoch, seq, data, buffer (array while waiting), timer}
  let closed = false;
  let joinTimer = null;

  function waitForSnapshot(name) {
    const room = rooms.get(name);
    if (!room) return;
    if (!room.buffer) room.buffer = [];
    clearTimeout(room.timer);
    socket.emit("resync", { room: name });
    room.timer = setTimeout(() => waitForSnapshot(name), RESYNC_RETRY_MS);
  }

  function meta(message) {
    return { seq: message.seq, epoch: message.epoch, sentAt: message.sent_at || null };
  }

  function apply(update) {
    const room = rooms.get(update.room);
    if (!room) return;
    if (room.buffer) {
      if (room.buffer.length < MAX_BUFFER) room.buffer.push(update);
      return;
    }
    if (update.epoch !== room.epoch) {
      waitForSnapshot(update.room); // numbering started over: our number means nothing now
      return;
    }
    if (update.seq <= room.seq) return; // already in the state we hold
    if (update.seq !== room.seq + 1) {
      waitForSnapshot(update.room); // a gap: we missed something
      return;
    }
    room.seq = update.seq;
    room.data = update.data;
    onState(update.room, update.data, update.events || [], meta(update));
  }

  function join() {
    clearTimeout(joinTimer);
    socket.emit("join");
  }

  function serverStatus(status) {
    if (status && status.state === "degraded") onStatus("degraded", status);
    else onStatus("online");
  }

  socket.on("connect", () => {
    onStatus("online");
    join();
  });
  socket.on("disconnect", (reason) => {
    clearTimeout(joinTimer);
    onStatus("offline", { message: reason });
    if (reason === "io server disconnect" && !closed) socket.connect(); // server kicked us
  });
  socket.on("connect_error", (error) => {
    const detail = error.data || { code: "UNREACHABLE", message: error.message };
    if (FINAL.has(detail.code)) {
      onStatus("refused", detail);
      return;
    }
    onStatus("offline", detail);
    // A refusal from the server (not a network error) is not retried by socket.io itself.
    if (error.data && !closed) setTimeout(() => socket.connect(), RETRY_MS);
  });
  socket.on("hello", (hello) => {
    rooms.forEach((room) => clearTimeout(room.timer));
    rooms.clear();
    hello.rooms.forEach((name) => {
      rooms.set(name, { epoch: hello.epoch, seq: null, data: null, buffer: [], timer: null });
    });
    onHello(hello);
    serverStatus(hello.status);
  });
  // The server says whether updates from other servers reach it (sent when that changes).
  socket.on("status", serverStatus);
  socket.on("snapshot", (snapshot) => {
    const room = rooms.get(snapshot.room);
    if (!room) return;
    // A snapshot the server pushed may be older than an update that overtook it.
    if (!room.buffer && room.epoch === snapshot.epoch && snapshot.seq < room.seq) return;
    clearTimeout(room.timer);
    room.epoch = snapshot.epoch;
    const buffered = room.buffer || [];
    room.buffer = null;
    room.seq = snapshot.seq;
    room.data = snapshot.data;
    onState(snapshot.room, snapshot.data, [], meta(snapshot));
    buffered.forEach(apply);
  });
  socket.on("update", apply);
  socket.on("error", (error) => {
    console.warn("live:", error.code, error.message);
    // The server could not answer our join (a database or Redis hiccup): ask again soon.
    if (error.event === "join" && !closed) joinTimer = setTimeout(join, JOIN_RETRY_MS);
  });
  onStatus("connecting");

  return {
    socket,
    data: (name) => rooms.get(name)?.data ?? null,
    rooms: () => Array.from(rooms.keys()),
    close: () => { closed = true; clearTimeout(joinTimer); socket.close(); },
  };
}
