/* Stream page: click-to-load player, countdown, and live Q&A through server-sent events.
   Everything here is progressive: without JavaScript the page works by links and reloads.
   Question and answer text is inserted with textContent only, never as HTML. */
(function () {
  "use strict";

  function loadPlayer(container) {
    var kind = container.getAttribute("data-qa-player");
    var src = container.getAttribute("data-embed-src");
    var title = container.getAttribute("data-title") || "";
    var frame = document.createElement("div");
    frame.className = "ratio ratio-16x9";
    var el;
    if (kind === "video") {
      el = document.createElement("video");
      el.controls = true;
      el.playsInline = true;
      el.src = src;
    } else {
      el = document.createElement("iframe");
      el.src = src;
      el.allow = "fullscreen; picture-in-picture; encrypted-media";
      el.allowFullscreen = true;
      el.referrerPolicy = "strict-origin-when-cross-origin";
    }
    el.title = title;
    el.setAttribute("aria-label", title);
    frame.appendChild(el);
    container.replaceChildren(frame);
    container.classList.remove("p-3");
    el.setAttribute("tabindex", "0");
    el.focus();
  }

  document.querySelectorAll("[data-qa-player]").forEach(function (container) {
    var button = container.querySelector(".qa-player-load");
    if (!button) return;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      loadPlayer(container);
    });
  });

  // The countdown turns into the player: when the broadcast time comes, or at once when staff
  // set the conference live (a "conference_status" event below). The server renders the same
  // state on a reload.
  function showPlayer() {
    var section = document.getElementById("qa-player-section");
    if (section) section.hidden = false;
  }

  function showConferenceStatus(data) {
    var badge = document.getElementById("qa-live-badge");
    if (badge) badge.hidden = !data.live;
    var ended = document.getElementById("qa-ended");
    if (ended) ended.hidden = !data.ended;
    if (data.live || data.ended) {
      var counting = document.getElementById("qa-countdown");
      if (counting) counting.remove();
    }
    if (data.live) showPlayer();
  }

  // An empty question is refused here as the server would refuse it: the error next to the
  // field, announced, and the field focused, without a reload.
  var askForm = document.getElementById("qa-ask-form");
  if (askForm) {
    askForm.addEventListener("submit", function (event) {
      var field = askForm.querySelector("textarea[name=text]");
      if (!field || field.value.trim() !== "") return;
      event.preventDefault();
      var error = document.getElementById("id_text_error");
      if (!error) {
        error = document.createElement("div");
        error.id = "id_text_error";
        error.className = "invalid-feedback";
        field.insertAdjacentElement("afterend", error);
      }
      error.setAttribute("role", "alert");
      error.textContent = askForm.getAttribute("data-label-required");
      field.classList.add("is-invalid");
      field.setAttribute("aria-invalid", "true");
      var describedBy = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (describedBy.indexOf(error.id) === -1) describedBy.push(error.id);
      field.setAttribute("aria-describedby", describedBy.join(" "));
      field.focus();
    });
  }

  var countdown = document.getElementById("qa-countdown");
  if (countdown) {
    var startsAt = Date.parse(countdown.getAttribute("data-starts-at"));
    var template = countdown.getAttribute("data-template");
    // Units written out in the page's language ("13 dager 14 timer 25 minutter"): the server
    // passes each unit's one and many form (timefmt.duration_units_json); nb, nn and en use
    // the one form for 1 only.
    var units = {};
    try { units = JSON.parse(countdown.getAttribute("data-units") || "{}"); } catch (e) { units = {}; }
    var unit = function (name, n) {
      var forms = units[name] || ["{n} " + name, "{n} " + name + "s"];
      return forms[n === 1 ? 0 : 1].replace("{n}", n);
    };
    var tick = function () {
      var left = Math.round((startsAt - Date.now()) / 1000);
      if (!countdown.isConnected) return; // the conference went live: the player took its place
      if (left <= 0) {
        countdown.textContent = countdown.getAttribute("data-started");
        showPlayer();
        return;
      }
      var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
      var m = Math.floor((left % 3600) / 60), s = left % 60;
      var parts = [];
      if (d) parts.push(unit("day", d));
      if (d || h) parts.push(unit("hour", h));
      parts.push(unit("minute", m));
      if (!d) parts.push(unit("second", s));
      countdown.textContent = template.replace("%s", parts.join(" "));
      window.setTimeout(tick, 1000);
    };
    tick();
  }

  // "1 stemme" / "2 stemmer": the label's one and many form come from the server.
  function setVotes(scope, votes) {
    scope.querySelector(".qa-votes").textContent = votes;
    var label = scope.querySelector(".qa-votes-label");
    if (label) label.textContent = label.getAttribute(Number(votes) === 1 ? "data-one" : "data-other");
  }

  var root = document.getElementById("qa-stream");
  var list = document.getElementById("qa-questions");
  var tpl = document.getElementById("qa-question-template");
  if (!root || !list || !tpl || !window.EventSource) return;

  var status = document.getElementById("qa-live-status");
  var empty = document.getElementById("qa-empty");
  var sort = root.getAttribute("data-sort");

  function announce(text) {
    if (status) status.textContent = text;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setHidden(el, hidden) {
    if (el) el.hidden = hidden;
  }

  function fill(card, q) {
    card.id = "q-" + q.id;
    card.setAttribute("data-id", q.id);
    card.setAttribute("data-status", q.status);
    card.setAttribute("data-votes", q.votes);
    card.querySelector(".qa-text").textContent = q.text;
    setHidden(card.querySelector(".qa-pinned"), !q.pinned);
    card.querySelector(".qa-company-name").textContent = q.company || "";
    setHidden(card.querySelector(".qa-company"), !q.company);
    var topics = (q.topics || []).join(", ");
    card.querySelector(".qa-topics-text").textContent = topics;
    setHidden(card.querySelector(".qa-topics"), !topics);
    setHidden(card.querySelector(".qa-answered-live"), !q.answered_live);
    var answerText = card.querySelector(".qa-answer-text");
    answerText.textContent = q.answer || "";
    // Live answers arrive in Bokmål (qa/payloads.py): marked so on an nn or en page.
    if (document.documentElement.lang !== "nb") answerText.setAttribute("lang", "nb");
    setHidden(card.querySelector(".qa-answer"), !q.answer);
    setVotes(card, q.votes);
  }

  function newCard(id) {
    var card = tpl.content.firstElementChild.cloneNode(true);
    var form = card.querySelector("form.qa-vote");
    form.action = form.getAttribute("action").replace(/\/0\/vote\/$/, "/" + id + "/vote/");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (token && !token.value) token.value = csrfToken();
    bindVote(form);
    return card;
  }

  function place(card) {
    var pinned = card.querySelector(".qa-pinned");
    if (pinned && !pinned.hidden) {
      list.prepend(card);
      return;
    }
    if (sort === "votes") {
      var votes = parseInt(card.getAttribute("data-votes"), 10) || 0;
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        var other = items[i];
        if (other === card) continue;
        var otherPinned = other.querySelector(".qa-pinned");
        if (otherPinned && !otherPinned.hidden) continue;
        if ((parseInt(other.getAttribute("data-votes"), 10) || 0) < votes) {
          list.insertBefore(card, other);
          return;
        }
      }
      list.appendChild(card);
    } else if (!card.parentNode) {
      list.prepend(card);
    }
  }

  function upsert(q) {
    var card = document.getElementById("q-" + q.id);
    var isNew = !card;
    if (isNew) card = newCard(q.id);
    fill(card, q);
    if (isNew || sort === "votes") place(card);
    setHidden(empty, list.children.length > 0);
    return isNew;
  }

  function bindVote(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          announce(data.message || "");
          if (button && button.getAttribute("data-voted-label")) {
            button.textContent = button.getAttribute("data-voted-label");
          }
          if (data.ok) {
            setVotes(form, data.votes);
            form.closest("li").setAttribute("data-votes", data.votes);
          }
        })
        .catch(function () { form.submit(); });
    });
  }
  list.querySelectorAll("form.qa-vote").forEach(bindVote);

  var url = root.getAttribute("data-events-url") +
    "?last_event_id=" + encodeURIComponent(root.getAttribute("data-last-event-id") || "0");
  var source = new EventSource(url);
  // The server sends each event once (deduplicated by id across reconnects); every handler
  // is idempotent anyway (upsert by question id).
  function once(handler) {
    return function (event) { handler(JSON.parse(event.data)); };
  }
  // The viewer's own questions (listed apart, with their state) follow the public events too.
  var ownLabels = document.getElementById("own-status-labels");
  function ownLabel(status) {
    var span = ownLabels && ownLabels.content.querySelector('[data-status="' + status + '"]');
    return span ? span.textContent : status;
  }
  function updateOwn(q) {
    var item = document.getElementById("own-" + q.id);
    var status = item && item.querySelector(".qa-own-status");
    if (!status) return;
    status.textContent = ownLabel(q.status) + (q.answered_live ? " (" + ownLabel("live") + ")" : "");
    var answer = item.querySelector(".qa-own-answer");
    if (answer) {
      var ownText = answer.querySelector(".qa-own-answer-text");
      ownText.textContent = q.answer || "";
      if (document.documentElement.lang !== "nb") ownText.setAttribute("lang", "nb");
      setHidden(answer, !q.answer);
    }
  }
  source.addEventListener("question", once(function (q) {
    updateOwn(q);
    var before = document.getElementById("q-" + q.id);
    var wasAnswered = before && before.getAttribute("data-status") === "answered";
    var isNew = upsert(q);
    if (isNew) announce(root.getAttribute("data-label-new"));
    else if (q.status === "answered" && !wasAnswered) announce(root.getAttribute("data-label-answered"));
  }));
  source.addEventListener("question_removed", once(function (data) {
    var card = document.getElementById("q-" + data.id);
    if (card) card.remove();
    setHidden(empty, list.children.length > 0);
  }));
  function showCount(id, votes) {
    var card = document.getElementById("q-" + id);
    if (!card) return;
    card.setAttribute("data-votes", votes);
    setVotes(card, votes);
    if (sort === "votes") place(card);
  }
  source.addEventListener("votes", once(function (data) {
    // One event per window with every changed count; events stored by earlier releases
    // carry a single question's count.
    if (data.counts) Object.keys(data.counts).forEach(function (id) { showCount(id, data.counts[id]); });
    else showCount(data.id, data.votes);
  }));
  source.addEventListener("conference_status", once(function (data) {
    showConferenceStatus(data);
    if (data.live) announce(root.getAttribute("data-label-live"));
  }));
  source.addEventListener("open", function () { root.setAttribute("data-live", "on"); });
  source.addEventListener("error", function () { root.setAttribute("data-live", "reconnecting"); });
})();
