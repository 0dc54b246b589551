/* live.js: the viewer page, /live?room=ROOM&token=TOKEN[&nick=NAME][&from=UID].
 *
 * Everything shown comes from the SDK's room state (client.room) and its events; the
 * page keeps only what the server does not say back to everyone: this viewer's order
 * results, its lucky-bag join, and the WeCom prompt on screen. Countdowns tick locally
 * against the server's unix-ms deadlines. */
(function () {
  'use strict';

  var $ = UI.$;
  var el = UI.el;
  var MAX_COMMENTS = 80;

  var client = UI.client();
  if (!client) {
    $('need').hidden = false;
    return;
  }
  UI.setText('room-name', client.roomId);

  var orders = {}; // sale id -> {pending: true} or the server's order reply
  var joining = {}; // bag id -> 'pending' | 'joined'
  var prompt = null; // the WeCom prompt on screen
  var shownImage = null; // the card picture's address as last set
  var ended = false; // the host ended the live (close 4100): nothing more to send
  var BLANK = 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==';

  /* ---- connection, counts ---- */

  client.on('state', UI.connBanner($('conn')));
  client.on('online', renderCounts);
  client.on('likes', renderCounts);
  client.on('welcome', function () {
    renderCounts();
    renderCard();
    renderSales();
    renderBag();
  });

  function renderCounts() {
    UI.setText('online', UI.compact(client.room.online));
    UI.setText('likes', UI.compact(client.room.likes));
  }

  /* ---- comments and notices ---- */

  function pushLine(li) {
    var list = $('comments');
    list.appendChild(li);
    while (list.children.length > MAX_COMMENTS) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  client.on('comment', function (m) {
    var own = m.uid === client.room.uid;
    pushLine(
      el(
        'li',
        { class: own ? 'comment own' : 'comment', dataset: { id: m.id, uid: m.uid } },
        el('span', { class: 'nick' }, m.nick || m.uid),
        el('span', { class: 'text' }, m.text),
      ),
    );
  });

  client.on('comment_deleted', function (m) {
    var li = $('comments').querySelector('li[data-id="' + CSS.escape(String(m.id)) + '"]');
    if (li) li.remove();
  });

  client.on('notice', function (m) {
    if (m.code === 'replay_gap') {
      UI.toast('Some messages were missed while offline');
      return;
    }
    if (m.code === 'room_closed') return; // close 4100 follows: `ended`
    pushLine(el('li', { class: 'notice' }, m.text));
  });

  client.on('error', function (m) {
    UI.toast(UI.errorText(m.code, m.msg), 'error');
  });

  $('say').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('say-text');
    var text = input.value.trim();
    if (!text) return;
    if (client.comment(text)) input.value = '';
    else UI.toast(UI.errorText('offline'), 'error');
  });

  /* Taps are gathered for a moment and sent as one like (the server limits the rate). */
  var tapCount = 0;
  $('like').addEventListener('click', function () {
    tapCount += 1;
    $('like').classList.remove('pop');
    void $('like').offsetWidth; // restart the animation
    $('like').classList.add('pop');
    if (tapCount === 1) {
      setTimeout(function () {
        var n = Math.min(100, tapCount);
        tapCount = 0;
        client.like(n);
      }, 300);
    }
  });

  /* ---- product card and flash sales ---- */

  client.on('card', renderCard);
  client.on('sale', function () {
    renderCard();
    renderSales();
  });
  client.on('stock', function () {
    renderCard();
    renderSales();
  });

  /* The sale to buy from for a sku: a live one first, else one sold out. */
  function saleFor(sku) {
    var best = null;
    Object.keys(client.room.sales).forEach(function (id) {
      var s = client.room.sales[id];
      if (s.sku !== sku || s.state === 'ended') return;
      if (!best || (s.state === 'live' && best.state !== 'live')) best = s;
    });
    return best;
  }

  function saleLine(s) {
    if (s.state === 'sold_out' || s.left === 0) return 'Flash sale: sold out';
    if (s.state === 'ended') return 'Flash sale ended';
    if (s.starts_at && s.starts_at > Date.now()) return 'Flash sale starts in ' + UI.left(s.starts_at);
    var ends = s.ends_at ? ' \u00b7 ends in ' + UI.left(s.ends_at) : '';
    return 'Flash sale: ' + s.left + ' of ' + s.stock + ' left' + ends;
  }

  /* The buy button's text and whether it can be pressed, for a sale (or none). */
  function buyState(s) {
    var o = s && orders[s.sale];
    if (!s) return { text: 'View product', enabled: !ended };
    if (ended) return { text: 'Ended', enabled: false };
    if (o && o.pending) return { text: 'Reserving\u2026', enabled: false };
    if (o && o.ok) return { text: 'Reserved', enabled: false };
    if (s.state === 'sold_out' || s.left === 0) return { text: 'Sold out', enabled: false };
    if (s.state === 'ended') return { text: 'Ended', enabled: false };
    if (s.starts_at && s.starts_at > Date.now()) return { text: 'Soon', enabled: false };
    return { text: 'Buy ' + UI.yuan(s.price), enabled: true };
  }

  /* Fills an order-status node from this viewer's order for the sale. */
  function orderStatus(node, s) {
    var o = s && orders[s.sale];
    node.hidden = !o;
    if (!o) return;
    if (o.pending) {
      node.dataset.result = 'pending';
      node.textContent = 'Reserving\u2026';
    } else if (o.ok) {
      node.dataset.result = 'reserved';
      var late = o.pay_by && o.pay_by <= Date.now();
      node.textContent = late
        ? 'Reservation ' + o.order + ': the time to pay is over'
        : 'Reserved ' + o.qty + ' (order ' + o.order + '), pay within ' + UI.left(o.pay_by);
    } else {
      node.dataset.result = o.code || 'refused';
      node.textContent = 'Not reserved: ' + UI.errorText(o.code, o.msg);
    }
  }

  function buy(s) {
    if (!s) return;
    orders[s.sale] = { pending: true };
    renderCard();
    renderSales();
    client.order(s.sale, 1).then(function (reply) {
      orders[s.sale] = reply;
      renderCard();
      renderSales();
      if (!reply.ok) UI.toast(UI.errorText(reply.code, reply.msg), 'error');
    });
  }

  function openProduct() {
    var c = client.room.card;
    if (!c) return;
    client.cardClick(c.sku);
    UI.toast('Opening ' + c.title);
  }

  function renderCard() {
    var c = client.room.card;
    var box = $('card');
    box.hidden = !c;
    if (!c) return;
    var s = saleFor(c.sku);
    box.dataset.sku = c.sku;
    if (shownImage !== c.image) {
      shownImage = c.image;
      $('card-img').setAttribute('src', c.image || BLANK);
    }
    UI.setText('card-title', c.title);
    UI.setText('card-live-price', UI.yuan(c.live_price));
    UI.setText('card-price', c.price !== c.live_price ? UI.yuan(c.price) : '');
    $('card-sale').hidden = !s;
    if (s) {
      $('card-sale').textContent = saleLine(s);
      $('card-sale').dataset.left = String(s.left);
    }
    var b = buyState(s);
    $('card-buy').textContent = b.text;
    $('card-buy').disabled = !b.enabled;
    orderStatus($('card-order'), s);
  }

  $('card-buy').addEventListener('click', function () {
    var c = client.room.card;
    var s = c && saleFor(c.sku);
    if (s) buy(s);
    else openProduct();
  });
  $('card-img').addEventListener('click', openProduct);
  // A picture that does not load leaves the grey box rather than a broken-image icon.
  $('card-img').addEventListener('error', function () {
    if ($('card-img').getAttribute('src') !== BLANK) $('card-img').setAttribute('src', BLANK);
  });
  $('card-title').addEventListener('click', openProduct);

  /* Sales that are not for the pinned card get their own row. */
  function renderSales() {
    var box = $('sales');
    var card = client.room.card;
    var shown = {};
    Object.keys(client.room.sales).forEach(function (id) {
      var s = client.room.sales[id];
      if (s.state === 'ended' || (card && s.sku === card.sku)) return;
      shown[id] = true;
      var row = box.querySelector('[data-sale="' + CSS.escape(id) + '"]');
      if (!row) {
        row = el(
          'div',
          { class: 'sale', dataset: { sale: id } },
          el(
            'div',
            { class: 'sale-info' },
            el('div', { class: 'sale-sku' }),
            el('div', { class: 'sale-line' }),
            el('div', { class: 'order-status', hidden: 'hidden' }),
          ),
          el('button', {
            class: 'btn buy',
            type: 'button',
            onclick: function () {
              buy(client.room.sales[id]);
            },
          }),
        );
        box.appendChild(row);
      }
      row.querySelector('.sale-sku').textContent = s.sku + ' \u00b7 ' + UI.yuan(s.price);
      row.querySelector('.sale-line').textContent = saleLine(s);
      row.dataset.left = String(s.left);
      var b = buyState(s);
      row.querySelector('button').textContent = b.text;
      row.querySelector('button').disabled = !b.enabled;
      orderStatus(row.querySelector('.order-status'), s);
    });
    Array.prototype.slice.call(box.children).forEach(function (row) {
      if (!shown[row.dataset.sale]) row.remove();
    });
  }

  /* ---- lucky bag ---- */

  client.on('bag', renderBag);
  client.on('bag_count', renderBag);
  client.on('you_won', function (m) {
    UI.toast('You won ' + (m.prize || client.room.bag.prize) + '!', 'win');
  });

  function renderBag() {
    var b = client.room.bag;
    var box = $('bag');
    box.hidden = !b;
    if (!b) return;
    box.dataset.bag = b.bag;
    box.dataset.state = b.state;
    UI.setText('bag-prize', 'Lucky bag: ' + b.prize);
    UI.setText('bag-count', String(b.count != null ? b.count : 0));
    UI.setText('bag-when', b.state === 'open' ? 'draw in ' + UI.left(b.ends_at) : 'drawn');
    var joined = b.joined === true || joining[b.bag] === 'joined';
    var join = $('bag-join');
    var result = $('bag-result');
    if (b.state === 'open') {
      $('bag-hint').textContent = 'Comment \u201c' + b.keyword + '\u201d or tap Join';
      join.hidden = false;
      join.disabled = ended || joined || joining[b.bag] === 'pending';
      join.textContent = joined ? 'Joined' : 'Join';
      result.hidden = true;
    } else {
      $('bag-hint').textContent = '';
      join.hidden = true;
      result.hidden = false;
      var winners = Array.isArray(b.winners) ? b.winners : [];
      result.dataset.won = b.you_won === true ? 'true' : 'false';
      result.textContent =
        b.you_won === true
          ? 'You won ' + b.prize + '!'
          : 'Drawn. Winners: ' + (winners.length ? winners.join(', ') : 'none');
    }
  }

  $('bag-join').addEventListener('click', function () {
    var b = client.room.bag;
    if (!b) return;
    var id = b.bag;
    joining[id] = 'pending';
    renderBag();
    client.joinBag(id).then(
      function () {
        joining[id] = 'joined';
        renderBag();
      },
      function (e) {
        delete joining[id];
        renderBag();
        UI.toast(UI.errorText(e.code, e.message), 'error');
      },
    );
  });

  /* ---- the end of the live ---- */

  client.on('ended', function () {
    ended = true;
    $('ended').hidden = false;
    $('conn').hidden = true; // the panel above says it
    $('say').hidden = true;
    renderCard();
    renderSales();
    renderBag();
  });

  /* ---- WeCom prompt ---- */

  client.on('wecom', function (m) {
    prompt = m;
    UI.setText('wecom-title', m.title);
    UI.setText('wecom-hook', m.hook);
    $('wecom-add').setAttribute('href', m.link);
    $('wecom-added').hidden = true;
    $('wecom').dataset.prompt = m.prompt;
    $('wecom').hidden = false;
    client.wecomAction(m.prompt, 'shown');
  });

  $('wecom-add').addEventListener('click', function () {
    if (!prompt) return;
    client.wecomAction(prompt.prompt, 'clicked');
    $('wecom-added').hidden = false;
  });

  $('wecom-added').addEventListener('click', function () {
    if (!prompt) return;
    client.wecomAction(prompt.prompt, 'added');
    $('wecom').hidden = true;
    prompt = null;
    UI.toast('Thanks for adding us!');
  });

  $('wecom-close').addEventListener('click', function () {
    $('wecom').hidden = true;
    prompt = null;
  });

  /* ---- countdowns ---- */

  UI.onTick(function () {
    if (client.room.card) renderCard();
    if (Object.keys(client.room.sales).length) renderSales();
    if (client.room.bag) renderBag();
  });

  window.liveClient = client; // for the browser tests and for debugging
  client.connect();
})();
