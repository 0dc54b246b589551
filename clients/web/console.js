/* console.js: the host console, /console?room=ROOM&token=HOST_TOKEN.
 *
 * The live parts (comments, card, sales with stock, lucky bag, online, likes) come over
 * the host's WebSocket through the SDK; the room funnel and trust index are polled from
 * GET /api/rooms/<room> with the same token as a bearer. Every form sends one host
 * command and shows its ack or error next to its button. */
(function () {
  'use strict';

  var $ = UI.$;
  var el = UI.el;
  var MAX_COMMENTS = 300;
  var POLL_MS = 2000;

  var client = UI.client();
  if (!client) {
    $('need').hidden = false;
    return;
  }
  UI.setText('room-name', client.roomId);

  var commentTimes = []; // arrival times (ms) of the last seconds' comments
  var info = null; // the latest GET /api/rooms answer

  /* ---- connection ---- */

  client.on('state', UI.connBanner($('conn')));
  client.on('welcome', function (m) {
    UI.setText('who', m.uid + ' (' + (m.role || 'unknown role') + ')');
    $('not-host').hidden = m.role !== 'viewer';
    renderTiles();
    renderCard();
    renderSales();
    renderBag();
  });
  client.on('online', renderTiles);
  client.on('likes', renderTiles);

  /* ---- figures and charts ---- */

  function commentsPerSecond() {
    var now = Date.now();
    while (commentTimes.length && commentTimes[0] < now - 5000) commentTimes.shift();
    return commentTimes.length / 5;
  }

  function renderTiles() {
    UI.setText('t-online', UI.compact(client.room.online));
    UI.setText('t-likes', UI.compact(client.room.likes));
    UI.setText('t-cps', commentsPerSecond().toFixed(1));
    UI.setText('t-trust', info && typeof info.trust === 'number' ? String(info.trust) : '-');
  }

  var charts = new Charts($('charts'), [
    { key: 'online', label: 'Online viewers', color: '#1e88e5' },
    { key: 'likes', label: 'Likes', color: '#e91e63' },
    { key: 'cps', label: 'Comments per second', color: '#43a047' },
    { key: 'trust', label: 'Trust index', color: '#fb8c00' },
  ]);
  $('charts-missing').hidden = charts.enabled;

  setInterval(function () {
    renderTiles();
    if (client.state !== 'open' && !client.room.uid) return;
    charts.push({
      online: client.room.online,
      likes: client.room.likes,
      cps: commentsPerSecond(),
      trust: info && typeof info.trust === 'number' ? info.trust : null,
    });
  }, 1000);

  /* ---- comments: every one, with mute and delete ---- */

  client.on('comment', function (m) {
    commentTimes.push(Date.now());
    var list = $('comments');
    var li = el(
      'li',
      { class: 'comment', dataset: { id: m.id, uid: m.uid } },
      el('span', { class: 'nick', title: m.uid }, m.nick || m.uid),
      el('span', { class: 'text' }, m.text),
      el(
        'span',
        { class: 'tools' },
        el(
          'button',
          {
            class: 'mini',
            type: 'button',
            title: 'mute for 10 minutes',
            onclick: function () {
              command(client.mute(m.uid, 600), 'Muted ' + m.uid + ' for 10 minutes');
            },
          },
          'Mute',
        ),
        el(
          'button',
          {
            class: 'mini danger',
            type: 'button',
            onclick: function () {
              command(client['delete'](m.id), 'Deleted');
            },
          },
          'Delete',
        ),
      ),
    );
    list.appendChild(li);
    while (list.children.length > MAX_COMMENTS) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  });

  client.on('comment_deleted', function (m) {
    var li = $('comments').querySelector('li[data-id="' + CSS.escape(String(m.id)) + '"]');
    if (li) li.remove();
  });

  client.on('notice', function (m) {
    if (m.code) return; // a targeted notice (replay gap): the welcome is the truth
    $('comments').appendChild(el('li', { class: 'notice' }, 'Notice: ' + m.text));
  });

  client.on('error', function (m) {
    UI.toast(UI.errorText(m.code, m.msg), 'error');
  });

  /* ---- commands ---- */

  /* Shows a command's outcome as a toast; returns the promise (settled quietly). */
  function command(promise, done) {
    return promise.then(
      function () {
        if (done) UI.toast(done);
      },
      function (e) {
        UI.toast(UI.errorText(e.code, e.message), 'error');
      },
    );
  }

  /* Wires a form: submit builds a command from its fields and shows the result. */
  function form(id, resultKey, send) {
    var f = $(id);
    var out = f.querySelector('.result[data-for="' + resultKey + '"]');
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var v = {};
      Array.prototype.forEach.call(f.elements, function (e) {
        if (e.name) v[e.name] = e.value.trim();
      });
      out.textContent = 'Sending\u2026';
      out.dataset.result = 'pending';
      send(v).then(
        function () {
          out.textContent = 'Done';
          out.dataset.result = 'ok';
          if (f.dataset.fresh) freshIds();
        },
        function (e) {
          out.textContent = UI.errorText(e.code, e.message);
          out.dataset.result = e.code || 'error';
        },
      );
    });
  }

  function int(text) {
    return parseInt(text, 10);
  }

  /* New default ids for the next sale and bag. */
  function freshIds() {
    var stamp = Date.now().toString(36).slice(-5);
    $('sale-form').elements.sale.value = 'sale-' + stamp;
    $('bag-form').elements.bag.value = 'bag-' + stamp;
  }
  freshIds();
  $('sale-form').dataset.fresh = '1';
  $('bag-form').dataset.fresh = '1';
  var link = $('wecom-form').elements.link;
  link.value = link.value.replace('ROOM', client.roomId);

  form('card-form', 'card', function (v) {
    return client.card({
      sku: v.sku,
      title: v.title,
      price: UI.cents(v.price),
      live_price: UI.cents(v.live_price),
      image: v.image,
      path: v.path,
    });
  });

  $('card-clear').addEventListener('click', function () {
    command(client.cardClear(), 'Card unpinned');
  });

  form('sale-form', 'sale', function (v) {
    return client.saleStart({
      sale: v.sale,
      sku: v.sku,
      stock: int(v.stock),
      limit: int(v.limit),
      price: UI.cents(v.price),
      duration: int(v.duration),
      pay_window: int(v.pay_window),
    });
  });

  form('bag-form', 'bag', function (v) {
    return client.bagStart({
      bag: v.bag,
      prize: v.prize,
      keyword: v.keyword,
      winners: int(v.winners),
      duration: int(v.duration),
      min_watch: int(v.min_watch),
    });
  });

  form('wecom-form', 'wecom', function (v) {
    return client.wecomPush({ title: v.title, hook: v.hook, link: v.link });
  });

  $('notice-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('notice-form').elements.text;
    command(client.notice(input.value.trim()), 'Notice sent').then(function () {
      input.value = '';
    });
  });

  /* ---- card, sales, bag ---- */

  client.on('card', renderCard);

  function renderCard() {
    var c = client.room.card;
    $('card-now').textContent = c
      ? 'Pinned: ' + c.title + ' (' + c.sku + ') at ' + UI.yuan(c.live_price)
      : 'No card pinned';
  }

  /* This sale's figures in the latest GET /api/rooms answer, or null. */
  function saleFigures(id) {
    var list = (info && info.sales) || [];
    for (var i = 0; i < list.length; i++) if (list[i].sale === id) return list[i];
    return null;
  }

  client.on('sale', renderSales);
  client.on('stock', renderSales);

  function renderSales() {
    var body = $('sales');
    Object.keys(client.room.sales).forEach(function (id) {
      var s = client.room.sales[id];
      var row = body.querySelector('tr[data-sale="' + CSS.escape(id) + '"]');
      if (!row) {
        row = el(
          'tr',
          { dataset: { sale: id } },
          el('td', null, id),
          el('td', { class: 'sku' }),
          el('td', { class: 'price' }),
          el('td', { class: 'left' }),
          el('td', { class: 'orders' }),
          el('td', { class: 'paid' }),
          el('td', { class: 'state' }),
          el(
            'td',
            null,
            el(
              'button',
              {
                class: 'mini danger',
                type: 'button',
                onclick: function () {
                  command(client.saleStop(id), 'Sale ' + id + ' stopped');
                },
              },
              'Stop',
            ),
          ),
        );
        body.insertBefore(row, body.firstChild);
      }
      row.querySelector('.sku').textContent = s.sku;
      row.querySelector('.price').textContent = UI.yuan(s.price);
      row.querySelector('.left').textContent = s.left + ' / ' + s.stock;
      // Orders and payments per sale come from the polled room figures.
      var polled = saleFigures(id);
      row.querySelector('.orders').textContent = polled ? String(polled.orders) : '-';
      row.querySelector('.paid').textContent = polled ? String(polled.paid) : '-';
      row.querySelector('.state').textContent =
        s.state === 'ended' || !s.ends_at ? s.state : s.state + ' \u00b7 ' + UI.left(s.ends_at);
      row.dataset.left = String(s.left);
      row.dataset.state = s.state;
      row.querySelector('button').disabled = s.state === 'ended';
    });
  }

  client.on('bag', renderBag);
  client.on('bag_count', renderBag);

  function renderBag() {
    var b = client.room.bag;
    $('bag-now').hidden = !b;
    if (!b) return;
    $('bag-now').dataset.bag = b.bag;
    $('bag-now').dataset.state = b.state;
    UI.setText('bag-prize', b.prize);
    UI.setText('bag-keyword', b.keyword);
    UI.setText('bag-count', String(b.count != null ? b.count : 0));
    UI.setText('bag-state', b.state === 'open' ? 'draws in ' + UI.left(b.ends_at) : 'drawn');
    var winners = Array.isArray(b.winners) ? b.winners : [];
    UI.setText('bag-winners', b.state === 'drawn' ? 'Winners: ' + (winners.join(', ') || 'none') : '');
    $('bag-draw').hidden = b.state !== 'open';
    $('bag-verify').href =
      '/api/rooms/' + encodeURIComponent(client.roomId) + '/bags/' + encodeURIComponent(b.bag);
  }

  $('bag-draw').addEventListener('click', function () {
    var b = client.room.bag;
    if (b) command(client.bagDraw(b.bag), 'Drawn');
  });

  UI.onTick(function () {
    if (Object.keys(client.room.sales).length) renderSales();
    if (client.room.bag) renderBag();
  });

  /* ---- the end of the live: every viewer is told and disconnected (close 4100) ---- */

  $('end-live').addEventListener('click', function () {
    if (!confirm('End the live? Every viewer is disconnected.')) return;
    command(client.roomClose(), 'The live has ended');
  });
  client.on('ended', function () {
    $('end-live').disabled = true;
  });

  /* ---- the funnel, polled over HTTP ---- */

  function duration(secs) {
    if (typeof secs !== 'number') return '-';
    var h = Math.floor(secs / 3600);
    var m = Math.floor((secs % 3600) / 60);
    return h ? h + ' h ' + m + ' min' : m + ' min ' + Math.floor(secs % 60) + ' s';
  }

  function pct(ratio) {
    return typeof ratio === 'number' && isFinite(ratio) ? (100 * ratio).toFixed(1) + '%' : '-';
  }

  function step(label, value, of, key) {
    var width = of ? Math.max(2, Math.min(100, (100 * (value || 0)) / of)) : 0;
    return el(
      'div',
      { class: 'step', dataset: { key: key } },
      el('div', { class: 'step-label' }, label),
      el('div', { class: 'step-bar' }, el('span', { style: 'width:' + width + '%' })),
      el('div', { class: 'step-value' }, value == null ? '-' : String(value)),
    );
  }

  /* The room funnel from GET /api/rooms: viewers to paid orders, and the WeCom steps.
   * Rates are the gateway's when it gives them (add_rate is added / viewers). */
  function renderFunnel() {
    var r = info;
    var box = $('funnel');
    box.textContent = '';
    if (!r) return;
    var w = r.wecom || {};
    var viewers = r.viewers || 0;
    var conversion =
      typeof r.conversion === 'number' ? r.conversion : viewers ? (r.buyers || 0) / viewers : null;
    var addRate = typeof w.add_rate === 'number' ? w.add_rate : viewers ? (w.added || 0) / viewers : null;
    box.appendChild(
      el(
        'div',
        { class: 'funnel-col' },
        el('h3', null, 'Sales'),
        step('Viewers', r.viewers, viewers, 'viewers'),
        step('Card clicks', r.card_clicks, viewers, 'card_clicks'),
        step('Buyers', r.buyers, viewers, 'buyers'),
        step('Orders', r.orders, Math.max(viewers, r.orders || 0), 'orders'),
        step('Paid', r.paid, Math.max(viewers, r.orders || 0), 'paid'),
        el(
          'div',
          { class: 'facts', dataset: { key: 'watch' } },
          'Average watch ' +
            duration(r.watch_avg_s) +
            ' \u00b7 peak online ' +
            (r.peak_online != null ? r.peak_online : '-') +
            ' \u00b7 conversion ' +
            pct(conversion),
        ),
      ),
    );
    box.appendChild(
      el(
        'div',
        { class: 'funnel-col' },
        el('h3', null, 'WeCom'),
        step('Prompted', w.prompted, viewers, 'prompted'),
        step('Shown', w.shown, viewers, 'shown'),
        step('Clicked', w.clicked, viewers, 'clicked'),
        step('Added', w.added, viewers, 'added'),
        el(
          'div',
          { class: 'facts', dataset: { key: 'add_rate' } },
          'Add rate: ' + pct(addRate) + ' of viewers',
        ),
        inviters(r.inviters),
      ),
    );
  }

  /* The top inviters (viewers who shared the link: `from`), when there are any. */
  function inviters(list) {
    if (!list || !list.length) return null;
    return el(
      'div',
      { class: 'facts', dataset: { key: 'inviters' } },
      'Top inviters: ' +
        list
          .slice(0, 5)
          .map(function (x) {
            return x.from + ' (' + x.viewers + ' viewers, ' + x.orders + ' orders)';
          })
          .join(', '),
    );
  }

  var lastPoll = 0;
  function poll() {
    fetch('/api/rooms/' + encodeURIComponent(client.roomId), {
      headers: { Authorization: 'Bearer ' + client.token },
      cache: 'no-store',
    })
      .then(function (res) {
        if (res.status === 404) return null; // no viewer yet
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (r) {
        if (r) {
          info = r;
          lastPoll = Date.now();
          renderFunnel();
          renderTiles();
          renderSales();
        }
      })
      .catch(function () {
        /* the gateway is away: the connection banner already says so */
      })
      .then(function () {
        setTimeout(poll, POLL_MS);
      });
  }
  poll();

  setInterval(function () {
    UI.setText(
      'funnel-age',
      lastPoll ? 'updated ' + Math.round((Date.now() - lastPoll) / 1000) + ' s ago' : '',
    );
  }, 1000);

  window.consoleClient = client; // for the browser tests and for debugging
  client.connect();
})();
