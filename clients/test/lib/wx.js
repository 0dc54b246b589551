// A stand-in for the WeChat mini-program `wx` API: connectSocket returns a SocketTask
// (onOpen, onMessage, onClose, onError, send, close) backed by a real WebSocket.
'use strict';

function fakeWx(WebSocket) {
  const opened = [];
  let sent = 0;
  return {
    opened,
    sentCount: () => sent,
    connectSocket({ url, fail }) {
      opened.push(url);
      const ws = new WebSocket(url);
      const handlers = { open: [], message: [], close: [], error: [] };
      ws.onopen = () => handlers.open.forEach((f) => f({}));
      ws.onmessage = (ev) => handlers.message.forEach((f) => f({ data: ev.data }));
      ws.onclose = (ev) => handlers.close.forEach((f) => f({ code: ev.code, reason: ev.reason }));
      ws.onerror = () => handlers.error.forEach((f) => f({ errMsg: 'error' }));
      if (typeof url !== 'string' || !/^wss?:/.test(url)) fail({ errMsg: 'connectSocket:fail invalid url' });
      return {
        onOpen: (f) => handlers.open.push(f),
        onMessage: (f) => handlers.message.push(f),
        onClose: (f) => handlers.close.push(f),
        onError: (f) => handlers.error.push(f),
        send({ data }) {
          sent += 1;
          ws.send(data);
        },
        close({ code, reason }) {
          ws.close(code, reason);
        },
      };
    },
  };
}

module.exports = { fakeWx };
