// The desk's event stream (GET /events, server-sent events) read with fetch, so the token travels in the
// Authorization header as on every other call (EventSource cannot send one, and an address would be
// logged). Reconnects by itself with a growing pause; each connection starts with the full state.

const RETRY_MS = [500, 1000, 2000, 5000, 10000];

/**
 * Listen until `stop()` is called. `onEvent(name, data)` gets every event; `onState(connected, error)` each
 * change of connection; a 401 or 403 ends the stream and is passed as `error.status`.
 */
export function openStream(token, { onEvent, onState }) {
  let controller = null;
  let stopped = false;
  let attempt = 0;

  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await fetch("/events", {
          headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}` },
          signal: controller.signal,
          cache: "no-store",
        });
        if (response.status === 401 || response.status === 403) {
          onState(false, { status: response.status });
          return;
        }
        if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
        attempt = 0;
        onState(true, null);
        await read(response.body.getReader());
      } catch (error) {
        if (stopped) return;
        onState(false, { status: 0, message: String(error.message || error) });
      }
      if (stopped) return;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
    }
  }

  async function read(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("events: the service closed the stream");
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        dispatch(frame);
      }
    }
  }

  function dispatch(frame) {
    let name = "message";
    const data = [];
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) continue; // a comment
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch (error) {
      console.warn("events: a frame that is not JSON", name, error); // eslint-disable-line no-console
      return;
    }
    try {
      onEvent(name, parsed);
    } catch (error) {
      // the desk's own bug: reported as an uncaught error, but the stream goes on
      setTimeout(() => { throw error; });
    }
  }

  run();
  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
    },
  };
}
