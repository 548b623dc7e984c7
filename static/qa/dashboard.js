/* Moderator dashboard. Without JavaScript every action is a form POST and a redirect back.
   With it, actions are sent with fetch and the server answers with the card as it is now: the
   card is replaced where it stands (or moved to its new column when its status changed), the
   scroll position stays, and focus moves to the next card. New and changed questions arrive
   by server-sent events; each card is fetched from the server (rendered for this moderator,
   with its CSRF token). A card the moderator is working in is not replaced under their hands:
   it is flagged instead. Every text comes translated from data-label-* attributes. */
(function () {
  "use strict";
  var root = document.getElementById("qa-dashboard");
  if (!root || !window.fetch) return;
  var status = document.getElementById("qa-live-status");
  var badge = document.getElementById("qa-connection");
  var cardUrl = root.getAttribute("data-card-url");
  var pending = {}; // question id -> true while this moderator's action is in flight
  var deferred = {}; // question id -> newest version heard while an action was in flight

  function label(name) {
    return root.getAttribute("data-label-" + name) || "";
  }

  function announce(text) {
    if (!status) return;
    // Emptied first, so the same sentence twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function column(name) {
    var map = { awaiting: "awaiting", published: "published", answered: "answered" };
    return root.querySelector('[data-column="' + (map[name] || "closed") + '"]');
  }

  function cards() {
    return Array.prototype.slice.call(root.querySelectorAll(".qa-mod-card"));
  }

  function recount() {
    root.querySelectorAll("[data-column]").forEach(function (col) {
      var count = col.parentNode.querySelector(".qa-count");
      if (count) count.textContent = col.children.length;
    });
  }

  function parse(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim(); // our own server-rendered, escaped card
    return holder.content.firstElementChild;
  }

  // Focus a card without moving the page; scroll only when it is out of sight.
  function focusCard(card) {
    if (!card) return;
    card.focus({ preventScroll: true });
    var box = card.getBoundingClientRect();
    var bar = root.querySelector(".qa-bar");
    var top = bar ? bar.getBoundingClientRect().bottom : 0;
    if (box.top >= window.innerHeight || box.bottom <= top) {
      card.scrollIntoView({ block: "nearest" });
    }
  }

  // Put a freshly rendered card in place of the old one, or in its column when the status
  // changed. Returns the new element.
  function place(card, current) {
    var target = column(card.getAttribute("data-status"));
    if (current && current.parentNode === target) {
      if (current.classList.contains("qa-new")) markNew(card);
      current.replaceWith(card);
    } else {
      if (current) current.remove();
      target.appendChild(card);
    }
    recount();
    return card;
  }

  function markNew(card) {
    card.classList.add("qa-new");
    var head = card.querySelector("p");
    if (head && !head.querySelector(".qa-new-badge")) {
      var tag = document.createElement("span");
      tag.className = "badge text-bg-info qa-new-badge me-1";
      tag.textContent = label("new-badge");
      head.insertBefore(tag, head.firstChild);
    }
    // Seen once the moderator reaches it.
    card.addEventListener("focusin", function seen() {
      window.setTimeout(function () {
        card.classList.remove("qa-new");
        var tag = card.querySelector(".qa-new-badge");
        if (tag) tag.remove();
      }, 1500);
      card.removeEventListener("focusin", seen);
    });
  }

  function flag(card) {
    if (card.querySelector(".qa-changed-note")) return;
    card.classList.add("qa-changed");
    var note = document.createElement("p");
    note.className = "qa-changed-note alert alert-warning small mt-2 mb-0";
    note.setAttribute("role", "alert");
    note.textContent = label("changed") + " ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-warning ms-1";
    button.textContent = label("reload");
    button.addEventListener("click", function () {
      refresh(card.getAttribute("data-id"), true).then(function () {
        focusCard(document.getElementById("q-" + card.getAttribute("data-id")));
      });
    });
    note.appendChild(button);
    card.querySelector(".card-body").appendChild(note);
  }

  function fetchCard(id) {
    return fetch(cardUrl.replace(/\/0\/card\/$/, "/" + id + "/card/"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error(response.status);
        error.status = response.status;
        throw error;
      }
      return response.text();
    });
  }

  // A card fetch that fails on the way (no answer, or 5xx: a web node lost behind the proxy)
  // is tried again after 1, 2, 4 and 8 s. The event that asked for it is not sent again, so
  // giving up would leave the question off the dashboard until a reload. A 4xx is final.
  function refreshRetrying(id, attempt) {
    return refresh(id, false).catch(function (error) {
      if (attempt >= 4 || (error && error.status && error.status < 500)) throw error;
      return new Promise(function (resolve) {
        window.setTimeout(resolve, 1000 * Math.pow(2, attempt));
      }).then(function () { return refreshRetrying(id, attempt + 1); });
    });
  }

  function refresh(id, force) {
    var existing = document.getElementById("q-" + id);
    if (existing && !force && existing.contains(document.activeElement) &&
        document.activeElement !== existing) {
      flag(existing);
      return Promise.resolve(null);
    }
    return fetchCard(id).then(function (html) {
      var current = document.getElementById("q-" + id);
      var hadFocus = current && document.activeElement === current;
      var card = place(parse(html), current);
      if (hadFocus) card.focus({ preventScroll: true });
      return current ? null : card;
    });
  }

  // --- Actions in place -------------------------------------------------------------------

  // The card after this one in its column (or before, at the end): where focus goes next.
  function neighbour(card) {
    var next = card.nextElementSibling || card.previousElementSibling;
    return next && next.classList.contains("qa-mod-card") ? next : null;
  }

  function showCardMessage(card, text, level) {
    var box = card && card.querySelector(".qa-card-message");
    if (!box) return;
    box.className = "qa-card-message alert small mt-2 mb-0 py-1 px-2 " +
      (level === "success" ? "alert-success" : level === "warning" ? "alert-warning" : "alert-danger");
    box.textContent = text;
  }

  function submitAction(form, submitter) {
    var card = form.closest(".qa-mod-card");
    var id = card.getAttribute("data-id");
    var next = neighbour(card);
    var oldColumn = card.parentNode;
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    pending[id] = true;
    announce(label("saving"));
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (result) {
        var current = document.getElementById("q-" + id);
        var fresh = result.card ? place(parse(result.card), current) : null;
        if (!fresh && current) current.remove();
        announce(result.message);
        if (result.ok) {
          // The question merged into shows its new count of duplicates.
          var into = form.getAttribute("data-action") === "merge" ? data.get("into") : null;
          if (into) refresh(into, false);
          // Done: on to the next question (the one after it in the column it was in).
          var stayed = fresh && fresh.parentNode === oldColumn;
          var target = stayed ? neighbour(fresh) || fresh : next && next.isConnected ? next : null;
          if (!target) target = oldColumn.querySelector(".qa-mod-card");
          focusCard(target || fresh);
        } else {
          // Refused (another moderator was first, or bad input): the card shows the current
          // state and says why, and keeps focus.
          if (fresh) {
            showCardMessage(fresh, result.message, result.level);
            focusCard(fresh);
          }
        }
      })
      .catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        showCardMessage(card, label("failed"), "error");
        announce(label("failed"));
      })
      .then(function () {
        delete pending[id];
        var shown = document.getElementById("q-" + id);
        var version = shown ? parseInt(shown.getAttribute("data-version"), 10) : 0;
        if (deferred[id] && deferred[id] > version) refresh(id, false);
        delete deferred[id];
      });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("qa-action")) return;
    event.preventDefault();
    submitAction(form, event.submitter);
  });

  // --- Live updates -------------------------------------------------------------------------

  function setConnection(state) {
    root.setAttribute("data-live", state);
    if (!badge) return;
    badge.hidden = false;
    badge.setAttribute("data-state", state);
    var classes = { on: "text-bg-success", reconnecting: "text-bg-warning", offline: "text-bg-danger" };
    badge.className = "badge " + (classes[state] || "text-bg-secondary");
    badge.textContent = label({ on: "live", reconnecting: "reconnecting", offline: "offline" }[state]);
  }

  var versions = {};
  function handle(event) {
    var data = JSON.parse(event.data);
    if (versions[data.id] && versions[data.id] >= data.version) return;
    versions[data.id] = data.version;
    if (pending[data.id]) {
      deferred[data.id] = Math.max(deferred[data.id] || 0, data.version);
      return;
    }
    var card = document.getElementById("q-" + data.id);
    if (card && parseInt(card.getAttribute("data-version"), 10) >= data.version) return;
    refreshRetrying(data.id, 0).then(function (added) {
      if (added && event.type === "question_new") {
        markNew(added);
        var text = added.querySelector(".qa-text");
        var snippet = text ? text.textContent.trim().slice(0, 120) : "";
        announce(label("new").replace("{id}", data.id).replace("{text}", snippet));
      }
    });
  }

  // The stream resumes from the last event seen. EventSource retries by itself after a
  // dropped connection; when it gives up (closed), a new one is opened after a pause, or at
  // once when the browser says it is online again.
  var lastEventId = root.getAttribute("data-last-event-id") || "0";
  var source = null;
  var retryTimer = null;

  function track(listener) {
    return function (event) {
      if (event.lastEventId) lastEventId = event.lastEventId;
      listener(event);
    };
  }

  function connect() {
    window.clearTimeout(retryTimer);
    if (source) source.close();
    source = new EventSource(root.getAttribute("data-events-url") +
      "?last_event_id=" + encodeURIComponent(lastEventId));
    source.addEventListener("question_new", track(handle));
    source.addEventListener("question", track(handle));
    source.addEventListener("open", function () { setConnection("on"); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        setConnection("offline");
        retryTimer = window.setTimeout(connect, 5000);
      } else {
        setConnection(navigator.onLine === false ? "offline" : "reconnecting");
      }
    });
  }

  if (window.EventSource) {
    connect();
    window.addEventListener("offline", function () { setConnection("offline"); });
    window.addEventListener("online", function () {
      if (source.readyState === EventSource.OPEN) {
        setConnection("on");
      } else {
        setConnection("reconnecting");
        connect();
      }
    });
  } else {
    setConnection("offline");
  }

  // --- Keyboard shortcuts ---------------------------------------------------------------------

  var shortcuts = document.getElementById("qa-shortcuts");
  var toggle = document.getElementById("qa-shortcuts-on");
  if (shortcuts) shortcuts.hidden = false;
  try {
    if (toggle && window.localStorage.getItem("qa-shortcuts") === "off") toggle.checked = false;
  } catch (e) { /* storage refused: the default stays */ }
  if (toggle) {
    toggle.addEventListener("change", function () {
      try {
        window.localStorage.setItem("qa-shortcuts", toggle.checked ? "on" : "off");
      } catch (e) { /* storage refused */ }
    });
  }

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function currentCard() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".qa-mod-card") : null;
  }

  function openTool(card, tool, selector) {
    var details = card.querySelector('.qa-tool[data-tool="' + tool + '"]');
    if (!details) return false;
    details.open = true;
    var field = details.querySelector(selector);
    if (field) field.focus();
    return true;
  }

  function click(card, selector) {
    var button = card.querySelector(selector);
    if (!button) return false;
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && typing(event.target)) {
      var holder = currentCard();
      if (holder) {
        event.preventDefault();
        focusCard(holder);
      }
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (toggle && !toggle.checked) return;
    var all = cards();
    var card = currentCard();
    var index = card ? all.indexOf(card) : -1;
    var handled = true;
    switch (event.key) {
      case "j":
        focusCard(all[Math.min(index + 1, all.length - 1)]);
        break;
      case "k":
        focusCard(all[Math.max(index - 1, 0)]);
        break;
      case "n":
        var waiting = column("awaiting").querySelectorAll(".qa-mod-card");
        focusCard(waiting[waiting.length - 1]);
        break;
      default:
        if (!card) {
          handled = false;
          break;
        }
        if (event.key === "a") handled = click(card, 'form[data-action="approve"] button[data-shortcut="a"]');
        else if (event.key === "r") {
          var reason = card.querySelector("input[name=reason]");
          if (reason) reason.focus();
          handled = !!reason;
        } else if (event.key === "m") {
          var suggestion = card.querySelector(".qa-merge-suggestion");
          if (suggestion) suggestion.focus();
          else handled = openTool(card, "merge", "select");
        } else if (event.key === "e") handled = openTool(card, "edit", "textarea");
        else if (event.key === "p") handled = click(card, 'form[data-action="pin"] button');
        else if (event.key === "l") handled = click(card, 'form[data-action="answered-live"] button');
        else if (event.key === "t") handled = openTool(card, "topics", "input[name=topics]");
        else if (event.key === "w") handled = openTool(card, "answer", "textarea");
        else handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
