/*
 * live.js: keep a screen's rooms current over Socket.IO (see docs/realtime.md).
 *
 * A room's state is its last snapshot plus the numbered updates after it; a gap, a new epoch
 * or a reconnect fetches a fresh snapshot. Needs /vendor/socket.io-client/dist/socket.io.min.js.
 *
 *   const live = Live.connect({
 *     namespace: "/desk",                 // "/board", "/console", "/desk" or "/patient"
 *     auth: {department_id: 1},           // the namespace's connect auth (cookie goes by itself)
 *     onHello(hello) {},                  // who we are, which rooms, display settings
 *     onState(room, data, events, meta) {},  // draw `data`; `events` say what just happened
 *     onStatus(status, detail) {},        // "connecting" | "online" | "degraded" | "offline"
 *                                         // | "refused"; "degraded": only this server's updates
 *   });
 *   live.data(room); live.rooms(); live.close();
 */
(function (global) {
  "use strict";

  // Refusals that retrying cannot fix: stop and say so.
  const FINAL = new Set([
    "AUTH_REQUIRED", "TOKEN_INVALID", "DISPLAY_KEY_INVALID", "LINK_INVALID", "LINK_EXPIRED",
    "FORBIDDEN", "BAD_REQUEST", "DEPARTMENT_NOT_FOUND", "TICKET_NOT_FOUND",
  ]);
  const MAX_BUFFER = 50;      // updates kept while a snapshot is on its way
  const RESYNC_RETRY_MS = 5000;
  const RETRY_MS = 5000;
  const JOIN_RETRY_MS = 2000;

  function connect(options) {
    const noop = function () {};
    const onHello = options.onHello || noop;
    const onState = options.onState || noop;
    const onStatus = options.onStatus || noop;
    const socket = global.io(options.namespace, {
      transports: ["websocket"],
      auth: options.auth || {},
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
      room.timer = setTimeout(function () { waitForSnapshot(name); }, RESYNC_RETRY_MS);
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

    function meta(message) {
      return { seq: message.seq, epoch: message.epoch, sentAt: message.sent_at || null };
    }

    function join() {
      clearTimeout(joinTimer);
      socket.emit("join");
    }

    function serverStatus(status) {
      if (status && status.state === "degraded") onStatus("degraded", status);
      else onStatus("online");
    }

    socket.on("connect", function () {
      onStatus("online");
      join();
    });
    socket.on("disconnect", function (reason) {
      clearTimeout(joinTimer);
      onStatus("offline", { message: reason });
      if (reason === "io server disconnect" && !closed) socket.connect(); // server kicked us
    });
    socket.on("connect_error", function (error) {
      const detail = error.data || { code: "UNREACHABLE", message: error.message };
      if (FINAL.has(detail.code)) {
        onStatus("refused", detail);
        return;
      }
      onStatus("offline", detail);
      // A refusal from the server (not a network error) is not retried by socket.io itself.
      if (error.data && !closed) setTimeout(function () { socket.connect(); }, RETRY_MS);
    });
    socket.on("hello", function (hello) {
      rooms.forEach(function (room) { clearTimeout(room.timer); });
      rooms.clear();
      hello.rooms.forEach(function (name) {
        rooms.set(name, { epoch: hello.epoch, seq: null, data: null, buffer: [], timer: null });
      });
      onHello(hello);
      serverStatus(hello.status);
    });
    // The server says whether updates from other servers reach it (sent when that changes).
    socket.on("status", serverStatus);
    socket.on("snapshot", function (snapshot) {
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
    socket.on("error", function (error) {
      if (global.console) global.console.warn("live:", error.code, error.message);
      // The server could not answer our join (a database or Redis hiccup): ask again soon.
      if (error.event === "join" && !closed) joinTimer = setTimeout(join, JOIN_RETRY_MS);
    });
    onStatus("connecting");

    return {
      socket: socket,
      data: function (name) { const room = rooms.get(name); return room ? room.data : null; },
      rooms: function () { return Array.from(rooms.keys()); },
      close: function () { closed = true; clearTimeout(joinTimer); socket.close(); },
    };
  }

  global.Live = { connect: connect };
})(window);
